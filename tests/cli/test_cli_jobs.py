"""inflight ls/ps and rm/cancel, Ctrl-C cancelling a running job on the server, and live progress
drawn on a real terminal (a pty), with colour only there and never with NO_COLOR."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.cli.support import (
    CLI,
    COLOR_SGR,
    api,
    as_json,
    cli_env,
    fault,
    ima2,
    ok,
    run_in_pty,
    terminal_env,
    wait_for,
)
from tests.stackctl import RunningStack

# Jobs held by a hanging Gemini upstream (the stack times OpenAI calls out at 10 s; Gemini at 120 s).


def running_cli_job(stack: RunningStack, known: set[str]) -> dict[str, Any] | None:
    jobs = api(stack, "GET", "/api/inflight").json()["jobs"]
    return next(
        (j for j in jobs if j["requestId"].startswith("cli_") and j["requestId"] not in known),
        None,
    )


def terminal_job(stack: RunningStack, request_id: str) -> dict[str, Any] | None:
    body = api(stack, "GET", "/api/inflight", params={"includeTerminal": "1"}).json()
    return next((j for j in body["terminalJobs"] if j["requestId"] == request_id), None)


def all_ids(stack: RunningStack) -> set[str]:
    body = api(stack, "GET", "/api/inflight", params={"includeTerminal": "1"}).json()
    return {j["requestId"] for j in body["jobs"] + body["terminalJobs"]}


def test_ps_and_cancel(faults: RunningStack, tmp_path: Path) -> None:
    stack = faults
    fault(stack, upstream="gemini", mode="hang", count=0)
    known = all_ids(stack)
    proc = subprocess.Popen(
        [*CLI, "gen", "stuck", "--provider", "gemini-api", "--json"],
        env=cli_env(stack.home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        job = wait_for(lambda: running_cli_job(stack, known))
        request_id = job["requestId"]
        listed = as_json(ok(ima2(stack.home, "inflight", "ls", "--kind", "classic", "--json")))
        assert request_id in [j["requestId"] for j in listed["jobs"]]
        table = ok(ima2(stack.home, "ps"))
        assert request_id in table.stdout and "classic" in table.stdout and "running" in table.stdout
        canceled = as_json(ok(ima2(stack.home, "cancel", request_id, "--json")))
        assert canceled["requestId"] == request_id and canceled["active"] is True
        out, _err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    # the waiting gen learns of the cancel from the server: its error, with the server's code
    assert proc.returncode == 5 and json.loads(out)["code"] == "GENERATION_CANCELED"
    assert terminal_job(stack, request_id)["status"] == "canceled"
    ended = as_json(ok(ima2(stack.home, "ps", "--terminal", "--json")))
    assert request_id in [j["requestId"] for j in ended["terminalJobs"]]
    again = as_json(ok(ima2(stack.home, "inflight", "rm", request_id, "--json")))
    assert again["active"] is False
    assert "was not running" in ok(ima2(stack.home, "inflight", "rm", request_id)).stdout


def interrupt_and_check(stack: RunningStack, argv: list[str], kind: str) -> None:
    known = all_ids(stack)
    proc = subprocess.Popen(
        [*CLI, *argv, "--json"],
        env=cli_env(stack.home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        job = wait_for(lambda: running_cli_job(stack, known))
        assert job["kind"] == kind
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    body = json.loads(out)
    assert (
        body["ok"] is False
        and body["code"] == "GENERATION_CANCELED"
        and body["requestId"] == job["requestId"]
    )
    assert "canceled on the server" in err and "Traceback" not in err
    # canceled before the CLI exited: the server already has it as a canceled job
    ended = terminal_job(stack, job["requestId"])
    assert ended is not None and ended["status"] == "canceled" and ended["errorCode"] == "GENERATION_CANCELED"


def test_ctrl_c_cancels_a_running_gen_on_the_server(faults: RunningStack) -> None:
    fault(faults, upstream="gemini", mode="hang", count=0)
    interrupt_and_check(faults, ["gen", "interrupt me", "--provider", "gemini-api"], "classic")


def test_ctrl_c_cancels_a_streaming_multimode_on_the_server(faults: RunningStack) -> None:
    fault(faults, upstream="gemini", mode="hang", count=0)
    interrupt_and_check(
        faults, ["multimode", "interrupt me", "--max-images", "2", "--provider", "gemini-api"], "multimode"
    )


# --- a real terminal ----------------------------------------------------------------------------


def test_progress_is_drawn_live_on_a_terminal(faults: RunningStack, tmp_path: Path) -> None:
    # every OAuth call answers 2.5 s late: the progress line must redraw its elapsed time meanwhile
    fault(faults, upstream="oauth", delay=2.5, count=0)
    code, screen = run_in_pty([*CLI, "gen", "slow cat", "-d", str(tmp_path)], terminal_env(faults))
    assert code == 0, screen
    assert "gen: generating" in screen and "0:00:02" in screen
    assert "\r" in screen or "\x1b[" in screen  # redrawn in place, not printed line by line
    assert COLOR_SGR.search(screen)  # colour on a terminal
    saved = list(tmp_path.iterdir())
    assert len(saved) == 1 and str(saved[0]) in screen


def test_no_color_and_no_progress_off_a_terminal(faults: RunningStack, tmp_path: Path) -> None:
    fault(faults, upstream="oauth", delay=1.5, count=0)
    code, screen = run_in_pty(
        [*CLI, "gen", "plain cat", "-d", str(tmp_path / "a")], terminal_env(faults, NO_COLOR="1")
    )
    assert code == 0 and "gen: generating" in screen
    assert not COLOR_SGR.search(screen), repr(screen[:400])
    failed_code, failed = run_in_pty([*CLI, "history", "rm", "nope.png"], terminal_env(faults, NO_COLOR="1"))
    assert failed_code == 5 and "ASSET_NOT_FOUND" in failed and not COLOR_SGR.search(failed)
    colored_code, colored = run_in_pty([*CLI, "history", "rm", "nope.png"], terminal_env(faults))
    assert colored_code == 5 and COLOR_SGR.search(colored)
    # piped: no progress line and no escape codes at all
    piped = ok(ima2(faults.home, "gen", "piped cat", "-d", str(tmp_path / "b")))
    assert "\x1b" not in piped.stdout + piped.stderr and "gen: generating" not in piped.stderr
    quiet = run_in_pty([*CLI, "gen", "quiet cat", "-d", str(tmp_path / "c"), "--quiet"], terminal_env(faults))
    assert quiet[0] == 0 and "gen: generating" not in quiet[1] and "revised prompt" not in quiet[1]
