"""Browser tests of the web UI against a tiny in-process stub of the ima2 API.

The stub (``StubServer``) serves ``ima2_web.STATIC_DIR`` at ``/`` and ``/static/`` and answers
the few routes the studio page uses: health, providers, history (+ delete), inflight (+ cancel),
the ``/api/events`` SSE multiplexer and async ``POST /api/generate``. It runs on a free
127.0.0.1 port in a thread (``http.server``; no extra dependency).

Prompt markers steer the stub's fake jobs:
  ``[slow]``   the job stays in flight until it is canceled;
  ``[fail]``   the job ends with an ``error`` event (SAFETY_REFUSAL);
  ``[silent]`` the job completes without publishing any event (tests reconciliation).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from ima2_web import STATIC_DIR
from tests.browser.ui_flow import (
    card_selector,
    open_studio,
    run_generate_flow,
    submit_prompt,
    wait_for_job,
    watch_page_errors,
)

pytestmark = pytest.mark.browser


# ---- stub API server ------------------------------------------------------------------------


def make_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid solid-colour RGB PNG, made without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


class StubState:
    """Everything the stub knows; guarded by one condition variable."""

    def __init__(self, seed_items: int = 1) -> None:
        self.cond = threading.Condition()
        self.stopping = False
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        self.next_event_id = 1
        self.files: dict[str, bytes] = {}
        self.history: list[dict[str, Any]] = []
        self.inflight: dict[str, dict[str, Any]] = {}
        self.terminal: dict[str, dict[str, Any]] = {}
        self.cancel_flags: dict[str, threading.Event] = {}
        self.generate_bodies: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.canceled: list[str] = []
        self.deleted: list[str] = []
        self.fail_history = False
        self.stream_generation = 0  # bump to drop every open /api/events stream
        self.event_stream_cursors: list[str | None] = []  # Last-Event-ID / lastEventId per connect
        self.counter = 0
        base = 1_780_000_000_000
        for i in range(seed_items):
            name = f"{base - i * 1000}_seed{i:04d}_0.png"
            self.files[name] = make_png(48, 48, (40 + i % 200, 90, 160))
            self.history.append(
                {
                    "filename": name,
                    "url": f"/generated/{name}",
                    "prompt": f"seeded picture {i}",
                    "model": "gpt-5.4-mini",
                    "provider": "oauth",
                    "size": "1024x1024",
                    "quality": "medium",
                    "format": "png",
                    "createdAt": base - i * 1000,
                    "requestId": f"req_seed{i}",
                }
            )

    # events
    def publish(self, event: str, request_id: str, payload: dict[str, Any]) -> None:
        data = {**payload, "requestId": request_id, "jobId": request_id}
        with self.cond:
            self.events.append((self.next_event_id, event, data))
            self.next_event_id += 1
            self.cond.notify_all()

    def publish_raw(self, event: str, data: dict[str, Any], with_id: bool = False) -> None:
        with self.cond:
            event_id = self.next_event_id if with_id else 0
            if with_id:
                self.next_event_id += 1
            self.events.append((event_id, event, data))
            self.cond.notify_all()

    def drop_streams(self) -> None:
        with self.cond:
            self.stream_generation += 1
            self.cond.notify_all()

    # jobs
    def start_job(self, body: dict[str, Any]) -> None:
        request_id = body["requestId"]
        with self.cond:
            self.inflight[request_id] = {
                "requestId": request_id,
                "kind": "classic",
                "phase": "queued",
                "startedAt": int(time.time() * 1000),
                "prompt": body.get("prompt", "")[:500],
            }
            self.cancel_flags[request_id] = threading.Event()
        threading.Thread(target=self._run_job, args=(body,), daemon=True).start()

    def _finish(self, request_id: str, status: str, **extra: Any) -> None:
        with self.cond:
            job = self.inflight.pop(request_id, None) or {"requestId": request_id}
            self.terminal[request_id] = {
                **job,
                "status": status,
                "finishedAt": int(time.time() * 1000),
                **extra,
            }

    def _run_job(self, body: dict[str, Any]) -> None:
        request_id = body["requestId"]
        prompt = str(body.get("prompt", ""))
        silent = "[silent]" in prompt
        canceled = self.cancel_flags[request_id]

        def emit(event: str, payload: dict[str, Any]) -> None:
            if not silent:
                self.publish(event, request_id, payload)

        time.sleep(0.15)
        with self.cond:
            if request_id in self.inflight:
                self.inflight[request_id]["phase"] = "streaming"
        emit("phase", {"phase": "streaming"})
        if "[slow]" in prompt:
            canceled.wait(30)
            return  # the DELETE handler publishes the terminal event
        if "[fail]" in prompt:
            time.sleep(0.1)
            emit(
                "error",
                {"error": "The provider refused this prompt", "code": "SAFETY_REFUSAL", "status": 422},
            )
            self._finish(request_id, "error", errorCode="SAFETY_REFUSAL", httpStatus=422)
            return
        emit("partial", {"image": data_url(make_png(16, 16, (200, 200, 200))), "index": 0})
        time.sleep(0.15)
        n = max(1, min(8, int(body.get("n") or 1)))
        with self.cond:
            self.counter += 1
            stamp = int(time.time() * 1000)
            made = []
            for i in range(n):
                name = f"{stamp}_{self.counter:08x}_{i}.png"
                png = make_png(64, 48, (220, 80 + 40 * i, 60))
                self.files[name] = png
                item = {
                    "filename": name,
                    "url": f"/generated/{name}",
                    "prompt": prompt,
                    "model": body.get("model"),
                    "provider": body.get("provider"),
                    "size": body.get("size"),
                    "quality": body.get("quality"),
                    "format": body.get("format"),
                    "createdAt": stamp,
                    "requestId": request_id,
                }
                self.history.insert(0, item)
                made.append({**item, "image": data_url(png)})
        done = {"elapsed": 0.3, "model": body.get("model"), "provider": body.get("provider")}
        if n == 1:
            done.update(made[0])
        else:
            done.update({"images": made, "count": n})
        emit("done", done)
        self._finish(request_id, "completed", httpStatus=200)

    def cancel(self, request_id: str) -> dict[str, Any]:
        with self.cond:
            active = request_id in self.inflight
            self.canceled.append(request_id)
        if active:
            self.cancel_flags[request_id].set()
            self.publish(
                "error",
                request_id,
                {"error": "Generation canceled", "code": "GENERATION_CANCELED", "status": 499},
            )
            self._finish(request_id, "canceled", errorCode="GENERATION_CANCELED", httpStatus=499)
        return {"requestId": request_id, "active": active, "aborted": active}


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StubHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    @property
    def state(self) -> StubState:
        return self.server.state

    # helpers
    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _static(self, rel: str) -> None:
        root = STATIC_DIR.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            self._json(404, {"error": {"code": "NOT_FOUND", "message": "Not found"}})
            return
        ctype = (
            {
                ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8",
                ".html": "text/html; charset=utf-8",
                ".svg": "image/svg+xml",
            }.get(target.suffix)
            or mimetypes.guess_type(target.name)[0]
            or "application/octet-stream"
        )
        self._send(200, target.read_bytes(), ctype)

    # routes
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.state.requests.append(f"GET {self.path}")
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif path.startswith("/static/"):
            self._static(unquote(path[len("/static/") :]))
        elif path.startswith("/generated/"):
            name = unquote(path[len("/generated/") :])
            data = self.state.files.get(name)
            if data is None:
                self._json(404, {"error": {"code": "ASSET_NOT_FOUND", "message": "Not found"}})
            else:
                self._send(200, data, "image/png")
        elif path == "/api/health":
            self._json(
                200,
                {
                    "ok": True,
                    "version": "0.1.0-stub",
                    "sandbox": True,
                    "services": {
                        "image": {"status": "up"},
                        "video": {"status": "up"},
                        "library": {"status": "up"},
                        "auth": {"status": "degraded"},
                    },
                    "nats": {"status": "up"},
                },
            )
        elif path == "/api/providers":
            self._json(
                200,
                {
                    "providers": {
                        "oauth": {"available": True},
                        "api": {"available": False, "reason": "no API key configured"},
                        "grok": {"available": True},
                        "grok-api": {"available": False},
                        "gemini-api": {"available": True},
                        "agy": {"available": True},
                    }
                },
            )
        elif path == "/api/history":
            self._history(query)
        elif path == "/api/inflight":
            with self.state.cond:
                payload: dict[str, Any] = {"jobs": list(self.state.inflight.values())}
                if query.get("includeTerminal") in ("1", "true"):
                    payload["terminalJobs"] = list(self.state.terminal.values())
            self._json(200, payload)
        elif path == "/api/events":
            self._events(query)
        else:
            self._json(404, {"error": {"code": "NOT_FOUND", "message": "Not found"}})

    def _history(self, query: dict[str, str]) -> None:
        if self.state.fail_history:
            self._json(503, {"error": {"code": "LIBRARY_UNAVAILABLE", "message": "Library service is down"}})
            return
        limit = max(1, min(500, int(query.get("limit") or 50)))
        with self.state.cond:
            rows = sorted(self.state.history, key=lambda r: (r["createdAt"], r["filename"]), reverse=True)
        if "before" in query:
            before = (int(query["before"]), query.get("beforeFilename", ""))
            rows = [r for r in rows if (r["createdAt"], r["filename"]) < before]
        page = rows[:limit]
        more = len(rows) > limit
        next_cursor = (
            {"before": page[-1]["createdAt"], "beforeFilename": page[-1]["filename"]}
            if more and page
            else None
        )
        self._json(200, {"items": page, "total": len(self.state.history), "nextCursor": next_cursor})

    def _events(self, query: dict[str, str]) -> None:
        state = self.state
        cursor_raw = self.headers.get("Last-Event-ID") or query.get("lastEventId")
        with state.cond:
            state.event_stream_cursors.append(cursor_raw)
            generation = state.stream_generation
            # No cursor: start at the newest event, no replay (like the real server).
            cursor = int(cursor_raw) if cursor_raw and cursor_raw.isdigit() else state.next_event_id - 1
            position = next((i for i, ev in enumerate(state.events) if ev[0] > cursor), len(state.events))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache, no-transform")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(b"retry: 300\n: connected\n\n")
            self.wfile.flush()
            while True:
                with state.cond:

                    def ready(seen: int = position) -> bool:
                        return (
                            state.stopping
                            or state.stream_generation != generation
                            or len(state.events) > seen
                        )

                    state.cond.wait_for(ready, timeout=1.0)
                    if state.stopping or state.stream_generation != generation:
                        return
                    batch = state.events[position:]
                    position = len(state.events)
                if not batch:
                    self.wfile.write(b": ping\n\n")
                for event_id, name, data in batch:
                    frame = (
                        f"id: {event_id}\n" if event_id else ""
                    ) + f"event: {name}\ndata: {json.dumps(data)}\n\n"
                    self.wfile.write(frame.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self.state.requests.append(f"POST {self.path}")
        if path != "/api/generate":
            self._json(404, {"error": {"code": "NOT_FOUND", "message": "Not found"}})
            return
        body = self._body()
        if not isinstance(body, dict):
            self._json(400, {"error": "Invalid JSON body", "code": "INVALID_REQUEST"})
            return
        self.state.generate_bodies.append(body)
        if not str(body.get("prompt", "")).strip():
            self._json(400, {"error": "Prompt is required", "code": "PROMPT_REQUIRED"})
            return
        request_id = body.get("requestId")
        if not body.get("async") or not request_id:
            self._json(400, {"error": "stub only supports async requests", "code": "INVALID_REQUEST"})
            return
        if request_id in self.state.inflight:
            self._json(409, {"error": "requestId already in use", "code": "REQUEST_ID_IN_USE"})
            return
        self.state.start_job(body)
        self._json(202, {"requestId": request_id, "async": True})

    def do_DELETE(self) -> None:
        path = urlsplit(self.path).path
        self.state.requests.append(f"DELETE {self.path}")
        if path.startswith("/api/inflight/"):
            self._json(200, self.state.cancel(unquote(path[len("/api/inflight/") :])))
        elif path.startswith("/api/history/"):
            name = unquote(path[len("/api/history/") :])
            with self.state.cond:
                row = next((r for r in self.state.history if r["filename"] == name), None)
                if row is not None:
                    self.state.history.remove(row)
                    self.state.deleted.append(name)
            if row is None:
                self._json(404, {"error": "Asset not found", "code": "ASSET_NOT_FOUND"})
            else:
                self._json(200, {"ok": True, "filename": name, "trash": "internal", "undoableInApp": False})
        else:
            self._json(404, {"error": {"code": "NOT_FOUND", "message": "Not found"}})


class StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: StubState) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.state = state


class StubServer:
    """Start with ``StubServer.start()``; ``url`` is ``http://127.0.0.1:<port>``; ``stop()`` ends it."""

    def __init__(self, state: StubState) -> None:
        self.state = state
        self.httpd = StubHTTPServer(state)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="ima2-ui-stub", daemon=True)

    @classmethod
    def start(cls, seed_items: int = 1) -> StubServer:
        server = cls(StubState(seed_items=seed_items))
        server.thread.start()
        return server

    def stop(self) -> None:
        with self.state.cond:
            self.state.stopping = True
            self.state.cond.notify_all()
        for flag in self.state.cancel_flags.values():
            flag.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def stub_factory() -> Iterator[Any]:
    """Start stub servers on demand (``stub_factory(seed_items=n)``); all are stopped afterwards."""
    servers: list[StubServer] = []

    def start(seed_items: int = 1) -> StubServer:
        server = StubServer.start(seed_items=seed_items)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def stub_server(stub_factory: Any) -> StubServer:
    server: StubServer = stub_factory(seed_items=1)
    return server


# ---- tests ----------------------------------------------------------------------------------


def test_static_dir_layout() -> None:
    for rel in (
        "index.html",
        "app.js",
        "styles.css",
        "js/api.js",
        "js/events.js",
        "js/history.js",
        "js/generate.js",
        "js/inflight.js",
    ):
        assert (STATIC_DIR / rel).is_file(), rel
    html = (STATIC_DIR / "index.html").read_text()
    assert 'src="static/app.js"' in html and 'type="module"' in html
    assert "http://" not in html and "https://" not in html  # no CDN, no external fonts


def test_generate_flow_shows_result_and_history(
    browser_page: Any, stub_server: StubServer, tmp_path: Path
) -> None:
    page = browser_page
    errors = watch_page_errors(page)
    prompt = "a red fox in the snow"

    src = run_generate_flow(page, stub_server.url, prompt)
    assert src.startswith("data:image/png;base64,")

    body = stub_server.state.generate_bodies[-1]
    assert body["prompt"] == prompt
    assert body["async"] is True
    assert body["requestId"].startswith("req_")
    assert body["provider"] == "oauth"  # first available provider
    assert body["model"] == "gpt-5.4-mini"
    assert (body["quality"], body["size"], body["format"], body["moderation"], body["n"]) == (
        "medium",
        "1024x1024",
        "png",
        "low",
        1,
    )

    # The history grid was refreshed and shows the new item first, next to the seeded one.
    new_name = stub_server.state.history[0]["filename"]
    page.wait_for_selector(f"#history-grid li[data-filename='{new_name}'] img")
    assert page.locator("#history-grid li").first.get_attribute("data-filename") == new_name
    assert page.locator("#history-grid li").count() == 2
    assert page.inner_text("#history-count") == "(2)"

    # Header: sandbox mode is said plainly, and each part's state is listed.
    assert page.is_visible("#sandbox-badge")
    assert "Sandbox mode" in (page.text_content("#sandbox-badge") or "")
    services = page.inner_text("#service-list")
    for text in ("image: up", "auth: degraded", "nats: up"):
        assert text in services
    assert page.get_attribute("#health-badge", "data-level") == "warn"
    assert page.inner_text("#events-badge") == "Events: live"

    # Unavailable providers are disabled; the in-flight list is empty again.
    assert page.locator("#provider option[value='api']").is_disabled()
    page.wait_for_selector("#inflight-empty", state="visible")

    shot = tmp_path / "ima2-ui.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    assert errors == []


def test_cancel_and_error_are_shown_inline(browser_page: Any, stub_server: StubServer) -> None:
    page = browser_page
    errors = watch_page_errors(page)
    open_studio(page, stub_server.url)

    # A job that never finishes: it shows up in flight and can be canceled from its card.
    slow = submit_prompt(page, "[slow] a very slow painting")
    card = card_selector(slow)
    page.wait_for_selector(f"{card}[data-state='running']")
    page.wait_for_selector(f"#inflight-list li[data-request-id='{slow}']")
    page.click(f"{card} >> role=button[name='Cancel job {slow}']")
    assert wait_for_job(page, slow) == "canceled"
    assert stub_server.state.canceled == [slow]
    page.wait_for_selector("#inflight-empty", state="visible")

    # A failing job: message and code shown in the card; HTML in the prompt stays text.
    hostile = '[fail] <img src=x onerror="window.__pwned=1"> cat'
    failed = submit_prompt(page, hostile)
    assert wait_for_job(page, failed) == "error"
    card = card_selector(failed)
    error_text = page.inner_text(f"{card} .job-error")
    assert "The provider refused this prompt" in error_text
    assert "SAFETY_REFUSAL" in error_text
    assert page.inner_text(f"{card} .job-prompt") == hostile
    assert page.evaluate("window.__pwned") is None
    # An SSE event *named* "error" must not be mistaken for a broken stream.
    assert page.inner_text("#events-badge") == "Events: live"
    assert not page.is_visible(f"{card} .job-preview")

    # Empty prompt: inline error, no request.
    count = len(stub_server.state.generate_bodies)
    page.fill("#prompt", "   ")
    page.click("#generate-button")
    assert "Enter a prompt" in page.inner_text("#generate-error")
    assert len(stub_server.state.generate_bodies) == count
    assert errors == []


def test_history_load_more_viewer_and_delete(browser_page: Any, stub_factory: Any) -> None:
    stub_server = stub_factory(seed_items=52)
    page = browser_page
    errors = watch_page_errors(page)
    open_studio(page, stub_server.url)

    page.wait_for_function("document.querySelectorAll('#history-grid li').length === 50")
    assert page.is_visible("#history-more")
    page.click("#history-more")
    page.wait_for_function("document.querySelectorAll('#history-grid li').length === 52")
    assert page.is_hidden("#history-more")
    assert any("before=" in r and "beforeFilename=" in r for r in stub_server.state.requests)

    # Open the first tile: the viewer shows the image and its metadata.
    first = stub_server.state.history[0]
    page.click(f"#history-grid li[data-filename='{first['filename']}'] button")
    page.wait_for_selector("#viewer[open]")
    meta = page.inner_text("#viewer-meta")
    for text in (first["prompt"], "gpt-5.4-mini", "oauth", "1024x1024", first["filename"]):
        assert text in meta
    assert page.get_attribute("#viewer-media img", "src") == first["url"]

    # Arrow keys step through the grid.
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "name => document.querySelector('#viewer-meta').textContent.includes(name)",
        arg=stub_server.state.history[1]["filename"],
    )
    page.keyboard.press("ArrowLeft")

    # Delete needs a confirmation click, then the tile disappears and the viewer closes.
    page.click("#viewer-delete")
    page.click("#viewer-delete-confirm")
    page.wait_for_selector("#viewer", state="hidden")
    page.wait_for_function("document.querySelectorAll('#history-grid li').length === 51")
    assert stub_server.state.deleted == [first["filename"]]
    assert "Deleted" in page.inner_text("#history-status")
    assert page.inner_text("#history-count") == "(51)"

    # Escape closes the viewer and focus returns to the grid.
    page.click("#history-grid li:first-child button")
    page.wait_for_selector("#viewer[open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("#viewer", state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('history-item')")
    assert errors == []


def test_history_error_envelope_is_shown_inline(browser_page: Any, stub_server: StubServer) -> None:
    stub_server.state.fail_history = True
    page = browser_page
    open_studio(page, stub_server.url)
    page.wait_for_selector("#history-error:not([hidden])")
    text = page.inner_text("#history-error")
    assert "Library service is down" in text and "LIBRARY_UNAVAILABLE" in text


def test_replay_gap_reconciles_missed_jobs(browser_page: Any, stub_server: StubServer) -> None:
    page = browser_page
    errors = watch_page_errors(page)
    open_studio(page, stub_server.url)
    page.wait_for_selector("#events-badge:has-text('Events: live')")

    # This job publishes no events at all; only a replay-gap makes the page look again.
    silent = submit_prompt(page, "[silent] a quiet lake")
    page.wait_for_selector(f"{card_selector(silent)}[data-state='queued']")
    deadline = time.monotonic() + 10
    while silent not in stub_server.state.terminal and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stub_server.state.terminal[silent]["status"] == "completed"
    stub_server.state.publish_raw("replay-gap", {"lastEventId": "1", "oldestAvailableId": "5"})

    assert wait_for_job(page, silent) == "done"
    src = page.get_attribute(f"{card_selector(silent)} .job-result-image", "src")
    assert src == stub_server.state.history[0]["url"]
    assert any(r.startswith("GET /api/inflight?includeTerminal=1") for r in stub_server.state.requests)
    assert errors == []


def test_reconnect_resumes_from_last_event_id(browser_page: Any, stub_server: StubServer) -> None:
    page = browser_page
    errors = watch_page_errors(page)
    run_generate_flow(page, stub_server.url, "first picture")
    last_id = str(stub_server.state.next_event_id - 1)
    assert stub_server.state.event_stream_cursors == [None]

    # The server drops the stream; the page reconnects with its cursor and reconciles.
    stub_server.state.drop_streams()
    deadline = time.monotonic() + 10
    while len(stub_server.state.event_stream_cursors) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stub_server.state.event_stream_cursors[1] == last_id
    page.wait_for_selector("#events-badge:has-text('Events: live')")
    deadline = time.monotonic() + 5

    def reconciles() -> int:
        return sum(r.startswith("GET /api/inflight?includeTerminal=1") for r in stub_server.state.requests)

    while time.monotonic() < deadline and reconciles() < 2:  # once at first open, once on reconnect
        time.sleep(0.05)
    assert reconciles() >= 2

    # And the stream still works afterwards.
    client_id = submit_prompt(page, "second picture")
    assert wait_for_job(page, client_id) == "done"
    assert errors == []
