"""Jobs in flight: `inflight ls` (alias `ps`) and `inflight rm` (alias `cancel`)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app
from ima2_cli.client import segment

inflight_app = new_app("Generation jobs that are running now.", "ima2 inflight ls")


def register(app: typer.Typer) -> None:
    app.add_typer(inflight_app, name="inflight")
    command(app, "ps", "ima2 ps --terminal")(ls)
    command(app, "cancel", "ima2 cancel cli_3f2a9c")(rm)


def _age(job: dict[str, Any]) -> str:
    started = job.get("startedAt")
    if not isinstance(started, int | float):
        return ""
    return f"{max(0.0, time.time() - started / 1000):.0f}s"


def ls(
    rt: Runtime,
    kind: Annotated[str | None, typer.Option("--kind", help="classic, node, multimode, video…")] = None,
    session: Annotated[str | None, typer.Option("--session", help="Only this session's jobs")] = None,
    terminal: Annotated[bool, typer.Option("--terminal", help="Also recently finished jobs")] = False,
) -> int:
    """List running jobs (GET /api/inflight)."""
    params = {k: v for k, v in (("kind", kind), ("sessionId", session)) if v}
    if terminal:
        params["includeTerminal"] = "1"
    data = rt.api().get("/api/inflight", params=params)

    def human() -> None:
        rows = [
            (j.get("requestId"), j.get("kind"), j.get("phase"), _age(j), "running")
            for j in data.get("jobs") or []
        ]
        rows += [
            (j.get("requestId"), j.get("kind"), j.get("phase"), _age(j), j.get("status") or "ended")
            for j in data.get("terminalJobs") or []
        ]
        if not rows:
            rt.out.note("no jobs")
            return
        rt.out.table(("request id", "kind", "phase", "age", "state"), rows)

    rt.out.emit(data, human)
    return client.EXIT_OK


def rm(rt: Runtime, request_id: Annotated[str, typer.Argument(help="The job's request id")]) -> int:
    """Cancel a running job (DELETE /api/inflight/:id)."""
    data = rt.api().request("DELETE", f"/api/inflight/{segment(request_id)}")

    def human() -> None:
        if data.get("active"):
            rt.out.line(f"canceled {request_id}")
        else:
            rt.out.line(f"{request_id} was not running")

    rt.out.emit(data, human)
    return client.EXIT_OK


command(inflight_app, "ls", "ima2 inflight ls --kind node")(ls)
command(inflight_app, "rm", "ima2 inflight rm cli_3f2a9c")(rm)
