"""A fake `agy` (Antigravity CLI) for tests, installed as the `ima2-sandbox-agy` console script.

    ima2-sandbox-agy --version
    ima2-sandbox-agy -p -        # prompt on stdin; prints RESULT|/abs/path.jpg|jpg

The scenario comes from `$HOME/.ima2-sandbox-agy.json` (ima2 filters the env down to PATH, HOME,
TMPDIR, LANG and GEMINI_API_KEY, so a file is the only way in):

    {"scenario": "ok", "delay": 0, "location": "brain" | "tmp", "exitCode": null, "ignoreTerm": false}

Scenarios: ok, quota, error, no-output, malformed, hang, outside-path, missing-artifact,
saved-path, prose-path, crash. Every run writes what it saw to `$HOME/.ima2-sandbox-agy.last.json`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

VERSION = "1.11.3-sandbox"
SCENARIOS = (
    "ok",
    "quota",
    "error",
    "no-output",
    "malformed",
    "hang",
    "outside-path",
    "missing-artifact",
    "saved-path",
    "prose-path",
    "crash",
)
QUOTA_LINE = (
    "ERROR|Resource exhausted: You have exhausted your capacity on this model. Your quota will "
    "reset after 3h12m."
)


def home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def load_config() -> dict[str, Any]:
    path = home() / ".ima2-sandbox-agy.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"scenario": "ok"}
    return data if isinstance(data, dict) else {"scenario": "ok"}


def artifact_path(config: dict[str, Any], scenario: str) -> Path:
    if scenario == "outside-path":  # HOME itself is outside ~/.gemini, ~/.cache and the tmpdir
        return home() / "ima2-agy-outside" / uuid.uuid4().hex / "ima2_generated.jpg"
    if config.get("location") == "tmp":
        return Path(tempfile.gettempdir()) / f"ima2-agy-{uuid.uuid4().hex}" / "ima2_generated.jpg"
    return home() / ".gemini" / "antigravity-cli" / "brain" / str(uuid.uuid4()) / "ima2_generated.jpg"


def write_artifact(path: Path, prompt: str) -> None:
    from ima2_sandbox import images

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(images.render(images.subject_of(prompt), 1024, 1024, "jpeg"))


def record(prompt: str, argv: list[str], scenario: str) -> None:
    last = {
        "prompt": prompt,
        "argv": argv,
        "scenario": scenario,
        "envKeys": sorted(os.environ),
        "at": time.time(),
    }
    with contextlib.suppress(OSError):
        (home() / ".ima2-sandbox-agy.last.json").write_text(json.dumps(last), encoding="utf-8")


def run(scenario: str, prompt: str, config: dict[str, Any]) -> int:
    """Print what the scenario prints; the return value is the default exit code."""
    print("Antigravity CLI (sandbox) - generating with default_api:generate_image", flush=True)
    if scenario == "quota":
        print(QUOTA_LINE)
        return 1
    if scenario == "error":
        print("ERROR|Image generation failed: the model returned no image (sandbox).")
        return 1
    if scenario == "malformed":
        print("RESULT|/only-one-field")
        return 0
    if scenario == "crash":
        print("Traceback (most recent call last):\n  RuntimeError: agy sandbox crash", file=sys.stderr)
        return 70
    if scenario == "hang":
        if config.get("ignoreTerm"):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(3600)
    path = artifact_path(config, scenario)
    if scenario != "missing-artifact":
        write_artifact(path, prompt)
    if scenario == "saved-path":
        print(f"SAVED_PATH={path}")
    elif scenario == "prose-path":
        print(f"I generated the image and saved it to {path} for you.")
    else:
        print(f"RESULT|{path}|jpg")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-v"]):
        print(f"agy {VERSION}")
        return 0
    if args != ["-p", "-"]:
        print("usage: agy -p -   (prompt on stdin) | agy --version", file=sys.stderr)
        return 2
    prompt = sys.stdin.read()
    config = load_config()
    scenario = str(config.get("scenario") or "ok")
    if scenario not in SCENARIOS:
        print(f"ERROR|unknown sandbox scenario {scenario!r}")
        return 2
    record(prompt, args, scenario)
    delay = config.get("delay")
    if scenario == "no-output":
        return int(config.get("exitCode") or 0)
    if isinstance(delay, int | float) and delay > 0:
        time.sleep(delay)
    code = run(scenario, prompt, config)
    sys.stdout.flush()
    exit_code = config.get("exitCode")
    return int(exit_code) if isinstance(exit_code, int) else code


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
