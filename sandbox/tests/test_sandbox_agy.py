"""The fake `agy` CLI (§5), run as a subprocess with ima2's filtered environment."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

PROMPT = 'Call default_api:generate_image exactly once.\nPrompt: "a paper boat"\nImagePaths: []\n'


def agy_bin() -> str:
    found = Path(sys.executable).parent / "ima2-sandbox-agy"
    return str(found) if found.exists() else shutil.which("ima2-sandbox-agy") or "ima2-sandbox-agy"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8"}


def configure(env: dict[str, str], **config: object) -> None:
    (Path(env["HOME"]) / ".ima2-sandbox-agy.json").write_text(json.dumps(config))


def run(env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [agy_bin(), "-p", "-"],
        input=PROMPT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def result_line(stdout: str) -> list[str]:
    return next(line for line in stdout.splitlines() if line.startswith("RESULT|")).split("|")


def test_version(env: dict[str, str]) -> None:
    done = subprocess.run([agy_bin(), "--version"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "sandbox" in done.stdout


def test_ok_writes_jpeg_in_brain(env: dict[str, str]) -> None:
    done = run(env)  # no scenario file: "ok"
    assert done.returncode == 0
    _, path, ext = result_line(done.stdout)
    assert ext == "jpg" and Path(path).is_absolute()
    assert Path(path).is_relative_to(Path(env["HOME"]) / ".gemini" / "antigravity-cli" / "brain")
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (1024, 1024)
    last = json.loads((Path(env["HOME"]) / ".ima2-sandbox-agy.last.json").read_text())
    assert last["prompt"] == PROMPT and last["argv"] == ["-p", "-"]
    assert set(last["envKeys"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_CTYPE"}


def test_tmp_location(env: dict[str, str]) -> None:
    configure(env, scenario="ok", location="tmp")
    _, path, _ = result_line(run(env).stdout)
    assert Path(path).is_relative_to(env["TMPDIR"]) and Path(path).exists()


@pytest.mark.parametrize(
    ("scenario", "check"),
    [
        ("quota", lambda out: "ERROR|Resource exhausted" in out and "quota will reset" in out),
        ("error", lambda out: out.splitlines()[-1].startswith("ERROR|") and "exhausted" not in out.lower()),
        ("no-output", lambda out: out == ""),
        (
            "malformed",
            lambda out: any(
                len(line.split("|")) < 3 for line in out.splitlines() if line.startswith("RESULT|")
            ),
        ),
        ("crash", lambda out: "RESULT|" not in out),
    ],
)
def test_failure_scenarios(env: dict[str, str], scenario: str, check: object) -> None:
    configure(env, scenario=scenario)
    done = run(env)
    assert callable(check) and check(done.stdout), done.stdout
    if scenario == "crash":
        assert done.returncode != 0 and "Traceback" in done.stderr


def test_path_scenarios(env: dict[str, str]) -> None:
    home = Path(env["HOME"])
    configure(env, scenario="outside-path")
    _, path, _ = result_line(run(env).stdout)
    assert Path(path).exists()
    assert not any(Path(path).is_relative_to(p) for p in (home / ".gemini", home / ".cache", env["TMPDIR"]))
    configure(env, scenario="missing-artifact")
    _, path, _ = result_line(run(env).stdout)
    assert not Path(path).exists() and "/brain/" in path
    configure(env, scenario="saved-path")
    line = next(x for x in run(env).stdout.splitlines() if x.startswith("SAVED_PATH="))
    assert Path(line.split("=", 1)[1]).exists()
    configure(env, scenario="prose-path")
    out = run(env).stdout
    assert "RESULT|" not in out and "/brain/" in out and "ima2_generated.jpg" in out


@pytest.mark.parametrize("ignore_term", [False, True])
def test_hang_until_signal(env: dict[str, str], ignore_term: bool) -> None:
    configure(env, scenario="hang", ignoreTerm=ignore_term)
    process = subprocess.Popen(
        [agy_bin(), "-p", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(PROMPT)
    process.stdin.close()
    last = Path(env["HOME"]) / ".ima2-sandbox-agy.last.json"
    deadline = time.monotonic() + 10
    while not last.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # past the signal set-up that follows the record
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=1.0)
        assert not ignore_term and code != 0
    except subprocess.TimeoutExpired:
        assert ignore_term
        process.kill()
        assert process.wait(timeout=5) == -signal.SIGKILL
    finally:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_usage_error(env: dict[str, str]) -> None:
    done = subprocess.run([agy_bin(), "generate"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2
