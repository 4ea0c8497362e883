"""Server state: ping, providers, billing, capabilities, oauth/grok status, storage, status, open,
doctor and backfill-thumbs (which also runs offline, through the library's own backfill)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import webbrowser
from typing import Annotated, Any
from urllib.parse import quote

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app
from ima2_cli.client import CliError

oauth_app = new_app("The Codex/ChatGPT OAuth proxy.", "ima2 oauth status")
grok_app = new_app("The bundled Grok (progrok) proxy.", "ima2 grok status")
storage_app = new_app("The generated-images folder on the server.", "ima2 storage status")


def register(app: typer.Typer) -> None:
    for fn, name, example in _ROOT_COMMANDS:
        command(app, name, example)(fn)
    app.add_typer(oauth_app, name="oauth")
    app.add_typer(grok_app, name="grok")
    app.add_typer(storage_app, name="storage")


def ping(rt: Runtime) -> int:
    """Check that the server answers (GET /api/health)."""
    api = rt.api()
    started = time.monotonic()
    health = api.get("/api/health")
    ms = (time.monotonic() - started) * 1000

    def human() -> None:
        state = "ok" if health.get("ok") else health.get("status", "degraded")
        sandbox = " sandbox" if health.get("sandbox") else ""
        rt.out.line(f"{state} {api.server} version {health.get('version')}{sandbox} ({ms:.0f} ms)")

    rt.out.emit(health, human)
    return client.EXIT_OK if health.get("ok") else client.EXIT_SERVER


def providers(rt: Runtime) -> int:
    """Provider availability and where each key comes from (GET /api/providers)."""
    data = rt.api().get("/api/providers")

    def human() -> None:
        rows = [
            (name, state.get("status", "?"), state.get("reason") or "")
            for name, state in (data.get("providers") or {}).items()
        ]
        rt.out.table(("provider", "status", "reason"), rows)
        keys = [(name, key.get("source", "none")) for name, key in (data.get("keys") or {}).items()]
        if keys:
            rt.out.table(("key", "source"), keys)

    rt.out.emit(data, human)
    return client.EXIT_OK


def billing(rt: Runtime) -> int:
    """API-key billing status and provider quota (GET /api/billing and /api/quota)."""
    api = rt.api()
    data = {"billing": api.get("/api/billing"), "quota": api.get("/api/quota")}

    def human() -> None:
        bill = data["billing"]
        rt.out.line(
            f"API key: {bill.get('apiKeySource', 'none')} (valid: {'yes' if bill.get('apiKeyValid') else 'no'})"
        )
        rows = []
        for name, quota in (data["quota"] or {}).items():
            if not isinstance(quota, dict):
                continue
            windows = ", ".join(
                f"{w.get('label')} {w.get('percent')}%"
                for w in quota.get("windows") or []
                if isinstance(w, dict)
            )
            spend = quota.get("billing") or {}
            money = f"${spend.get('usedUsd')} of ${spend.get('limitUsd')}" if spend else ""
            rows.append((name, windows, money, quota.get("error") or ""))
        rt.out.table(("provider", "windows", "spend", "error"), rows)

    rt.out.emit(data, human)
    return client.EXIT_OK


def capabilities(rt: Runtime) -> int:
    """What this server can do: providers, models, qualities and limits (GET /api/capabilities)."""
    data = rt.api().get("/api/capabilities")

    def human() -> None:
        models = data.get("models") or {}
        rows = [(p, ", ".join(models.get(p) or [])) for p in data.get("providers") or []]
        rt.out.table(("provider", "models"), rows)
        rest = {k: v for k, v in data.items() if k not in ("models", "providers")}
        for key, value in rest.items():
            rt.out.line(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")

    rt.out.emit(data, human)
    return client.EXIT_OK


def status(rt: Runtime) -> int:
    """One screen: server, version, services, active jobs, providers and storage."""
    api = rt.api()
    health = api.get("/api/health")
    provs = api.get("/api/providers")
    store = api.get("/api/storage/status").get("data") or {}
    data = {"server": api.server, "health": health, "providers": provs.get("providers"), "storage": store}

    def human() -> None:
        state = "ok" if health.get("ok") else health.get("status", "degraded")
        rt.out.line(
            f"ima2 {health.get('version')} at {api.server}: {state}"
            f"{' (sandbox)' if health.get('sandbox') else ''}, up {health.get('uptimeSec')} s, "
            f"{health.get('activeJobs')} active job(s)"
        )
        services = health.get("services") or {}
        rows = [(name, s.get("status")) for name, s in services.items()]
        rows.append(("nats", (health.get("nats") or {}).get("status")))
        rt.out.table(("service", "status"), rows)
        ready = [n for n, s in (provs.get("providers") or {}).items() if s.get("status") == "ready"]
        rt.out.line(f"providers ready: {', '.join(ready) or 'none'}")
        rt.out.line(
            f"gallery: {store.get('generatedDirLabel')} ({store.get('generatedCount')} files, {store.get('state')})"
        )

    rt.out.emit(data, human)
    return client.EXIT_OK if health.get("ok") else client.EXIT_SERVER


def open_studio(
    rt: Runtime,
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the URL instead of opening a browser")
    ] = False,
) -> int:
    """Open the studio in a browser (this machine's default browser).

    For a server that needs its access token, the browser is handed `?token=` once (the studio
    then keeps a session cookie); the URL printed never carries the token."""
    api = rt.api()
    url = f"{api.server}/"
    browser_url = f"{url}?token={quote(api.token, safe='')}" if api.token else url
    opened = False if print_only else webbrowser.open(browser_url)
    rt.out.emit({"ok": True, "url": url, "opened": opened}, lambda: rt.out.line(url))
    if not opened and not print_only:
        rt.out.note("no browser could be started; open the URL above yourself")
    return client.EXIT_OK


# --- oauth / grok ---------------------------------------------------------------------------------


def _provider_status(rt: Runtime, path: str, title: str) -> int:
    data = rt.api().get(path)

    def human() -> None:
        reason = f" ({data['reason']})" if data.get("reason") else ""
        rt.out.line(f"{title}: {data.get('status')}{reason}")
        for model in data.get("models") or []:
            rt.out.line(f"  {model}")

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(oauth_app, "status", "ima2 oauth status --json")
def oauth_status(rt: Runtime) -> int:
    """OAuth proxy status and the models it offers (GET /api/oauth/status)."""
    return _provider_status(rt, "/api/oauth/status", "oauth")


@command(grok_app, "status", "ima2 grok status")
def grok_status(rt: Runtime) -> int:
    """Bundled progrok status and the xAI image models it offers (GET /api/grok/status)."""
    return _provider_status(rt, "/api/grok/status", "grok")


# --- storage --------------------------------------------------------------------------------------


@command(storage_app, "status", "ima2 storage status")
def storage_status(rt: Runtime) -> int:
    """How many images the gallery holds and whether old ones can be recovered."""
    data = rt.api().get("/api/storage/status")
    info = data.get("data") or {}

    def human() -> None:
        rt.out.line(
            f"{info.get('generatedDirLabel')}: {info.get('generatedCount')} files, state {info.get('state')}"
        )
        if info.get("state") in ("recoverable", "not_found", "unknown"):
            rt.out.note(f"see {info.get('recoveryDocsPath')} or run `{info.get('doctorCommand')}`")

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(storage_app, "open", "ima2 storage open")
def storage_open(rt: Runtime) -> int:
    """Open the generated-images folder on the machine running the server."""
    data = rt.api().request("POST", "/api/storage/open-generated-dir")
    rt.out.emit(data, lambda: rt.out.line("opened the generated folder on the server machine"))
    return client.EXIT_OK


# --- backfill-thumbs --------------------------------------------------------------------------------


def backfill_thumbs(
    rt: Runtime,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not ask a server; run the library's backfill here")
    ] = False,
) -> int:
    """Render missing thumbnails for every image and video in the gallery.

    Asks the running server (POST /api/history/backfill-thumbnails); with --offline, or when no
    server answers, runs the library's own backfill on IMA2_HOME in a subprocess."""
    result: dict[str, Any] | None = None
    if not offline:
        try:
            result = rt.api(timeout=600).request("POST", "/api/history/backfill-thumbnails", timeout=600)
            result["mode"] = "server"
        except CliError as err:
            if err.exit_code != client.EXIT_UNREACHABLE:
                raise
            rt.out.note("no server answered; running the backfill offline")
    if result is None:
        result = offline_backfill()
    rt.out.emit(
        result,
        lambda: rt.out.line(
            f"thumbnails: {result['created']} created, {result['skipped']} skipped, "
            f"{result['failed']} failed, of {result['total']} ({result['mode']})"
        ),
    )
    return client.EXIT_OK if not result.get("failed") else client.EXIT_ERROR


def offline_backfill() -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "ima2_library.backfill", "--json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CliError(f"the offline backfill failed: {tail[0]}", client.EXIT_ERROR, "BACKFILL_FAILED")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["mode"] = "offline"
    return result


# --- doctor ---------------------------------------------------------------------------------------


def doctor(rt: Runtime) -> int:
    """Check the installation: data dir, ports, NATS, ffmpeg, keys, storage and the server."""
    from ima2_cli.commands.doctor import run_checks

    checks = run_checks(rt)
    failed = [c for c in checks if c["status"] == "fail"]

    def human() -> None:
        marks = {"ok": "ok", "warn": "warn", "fail": "FAIL"}
        rt.out.table(
            ("check", "status", "detail", "fix"),
            [(c["name"], marks[c["status"]], c["detail"], c.get("fix") or "") for c in checks],
        )

    rt.out.emit({"ok": not failed, "checks": checks}, human)
    return client.EXIT_ERROR if failed else client.EXIT_OK


_ROOT_COMMANDS = (
    (ping, "ping", "ima2 ping --server http://localhost:3333"),
    (providers, "providers", "ima2 providers --json"),
    (billing, "billing", "ima2 billing"),
    (capabilities, "capabilities", "ima2 capabilities --json"),
    (status, "status", "ima2 status"),
    (open_studio, "open", "ima2 open"),
    (backfill_thumbs, "backfill-thumbs", "ima2 backfill-thumbs --offline"),
    (doctor, "doctor", "ima2 doctor --json"),
)
