"""Access control: Host/Origin checks on every bind; the access token when bound off loopback.

A gateway bound to 127.0.0.2 counts as "not loopback" (only 127.0.0.1, ::1 and localhost do), so a
dedicated stack there stands in for a LAN bind. Its requests arrive from 127.0.0.1, which does not
exempt them: off loopback every request needs the token.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ima2_common.net import free_port
from tests.stackctl import READY_TIMEOUT, RunningStack

LAN_HOST = "127.0.0.2"


@dataclass
class LanStack(RunningStack):
    host: str = LAN_HOST
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.info['port']}"

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start_lan_stack(
    home: Path, token: str | None, extra_env: dict[str, str] | None = None, host: str = LAN_HOST
) -> LanStack:
    """`ima2 up --sandbox --host 127.0.0.2`; with token None the launcher generates one (read back from disk)."""
    port = free_port(host)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
    for key in ("OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY", "VERTEX_SERVICE_ACCOUNT_JSON"):
        env.pop(key, None)
    env.update({"IMA2_HOME": str(home), "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    if token is not None:
        env["IMA2_ACCESS_TOKEN"] = token
    home.mkdir(parents=True, exist_ok=True)
    out = open(home / "launcher.out", "w")  # noqa: SIM115 - closed with the process
    argv = [sys.executable, "-m", "ima2_cli", "up", "--sandbox", "--host", host, "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    stack = LanStack(home=home, port=port, proc=proc, env=env, host=host, token=token or "")
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ima2 up exited {proc.returncode}: {(home / 'launcher.out').read_text()}")
        if (home / "server.json").exists():
            try:
                stack.info = json.loads((home / "server.json").read_text())
                stack.token = stack.token or (home / "access-token").read_text().strip()
                if httpx.get(f"{stack.url}/api/health", headers=stack.bearer(), timeout=2).json().get("ok"):
                    return stack
            except (ValueError, OSError, httpx.HTTPError):
                pass
        time.sleep(0.05)
    stack.stop(signal.SIGKILL)
    raise RuntimeError(f"stack not healthy in {READY_TIMEOUT}s: {(home / 'launcher.out').read_text()}")


@pytest.fixture(scope="module")
def lan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LanStack]:
    stack = start_lan_stack(tmp_path_factory.mktemp("ima2-lan"), f"lan-token-{uuid.uuid4().hex}")
    yield stack
    stack.stop()


def raw_request(host: str, port: int, head: str) -> tuple[int, bytes]:
    """Send exactly these request lines (httpx would normalise them away)."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def assert_nested(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert isinstance(response.json()["error"]["message"], str)
    assert response.headers["cache-control"] == "no-store"


# -- every bind: Host and Origin -------------------------------------------------------------------


def test_loopback_needs_no_token_and_accepts_its_aliases(stack: RunningStack) -> None:
    port = stack.info["port"]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", "127.0.0.1", "localhost"):
        response = httpx.get(f"{stack.url}/api/health", headers={"Host": host})
        assert response.status_code == 200, host


def test_a_foreign_host_is_refused(stack: RunningStack) -> None:
    port = stack.info["port"]
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"user@127.0.0.1:{port}"):
        response = httpx.get(f"{stack.url}/api/health", headers={"Host": host})
        assert_nested(response, 403, "LOCAL_HOST_REJECTED")
        assert response.json()["error"]["requestId"] == response.headers["x-request-id"]


async def test_a_foreign_origin_is_refused(client: httpx.AsyncClient, stack: RunningStack) -> None:
    own = f"http://127.0.0.1:{stack.info['port']}"
    for origin in ("http://evil.example", "null", f"{own}/path", "http://127.0.0.1:1"):
        response = await client.put(
            "/api/keys/gemini-auth-mode", json={"mode": "apikey"}, headers={"Origin": origin}
        )
        assert_nested(response, 403, "LOCAL_ORIGIN_REJECTED")
    # Also on reads, where a rebinding page could otherwise read the answer.
    assert_nested(
        await client.get("/api/keys/status", headers={"Origin": "http://evil.example"}),
        403,
        "LOCAL_ORIGIN_REJECTED",
    )
    # A change sent cross-site is refused even without an Origin header.
    response = await client.put(
        "/api/keys/gemini-auth-mode", json={"mode": "apikey"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert_nested(response, 403, "LOCAL_ORIGIN_REJECTED")
    same = {"Origin": own, "Sec-Fetch-Site": "same-origin"}
    response = await client.put("/api/keys/gemini-auth-mode", json={"mode": "apikey"}, headers=same)
    assert response.status_code == 200, response.text
    response = await client.get(
        "/api/keys/status",
        headers={"Origin": f"http://localhost:{stack.info['port']}", "Sec-Fetch-Site": "same-site"},
    )
    assert_nested(response, 403, "LOCAL_ORIGIN_REJECTED")


def test_duplicate_host_or_origin_and_path_aliases_are_refused(stack: RunningStack) -> None:
    port = stack.info["port"]
    own = f"127.0.0.1:{port}"
    status, body = raw_request(
        "127.0.0.1", port, f"GET /api/health HTTP/1.1\nHost: {own}\nHost: {own}\nConnection: close\n"
    )
    assert status in (400, 403)  # the HTTP parser may refuse it first; it never gets through
    if status == 403:
        assert json.loads(body)["error"]["code"] == "LOCAL_HOST_REJECTED"
    origin = f"http://{own}"
    status, body = raw_request(
        "127.0.0.1",
        port,
        f"GET /api/health HTTP/1.1\nHost: {own}\nOrigin: {origin}\nOrigin: {origin}\nConnection: close\n",
    )
    assert status == 403 and json.loads(body)["error"]["code"] == "LOCAL_ORIGIN_REJECTED"
    for path in ("/api/../api/health", "/generated/%2e%2e/config.json", "/api%2fhealth", "/api\\health"):
        status, body = raw_request(
            "127.0.0.1", port, f"GET {path} HTTP/1.1\nHost: {own}\nConnection: close\n"
        )
        assert status == 400, path
        assert json.loads(body)["error"]["code"] == "LOCAL_PATH_REJECTED"


# -- off loopback: the access token ----------------------------------------------------------------


def test_lan_requests_without_the_token_are_refused(lan: LanStack) -> None:
    assert lan.info["access"] == {"mode": "lan", "host": LAN_HOST, "tokenRequired": True}
    for path in ("/api/health", "/api/keys/status", "/", "/generated/nothing.png"):
        response = httpx.get(f"{lan.url}{path}")
        assert_nested(response, 401, "ACCESS_TOKEN_REQUIRED")
        assert response.headers["www-authenticate"].startswith("Bearer")
    for headers in (
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Basic {lan.token}"},
        {"X-Ima2-Token": "wrong-token-0123456789"},
        {"Authorization": f"Bearer {lan.token}", "X-Ima2-Token": "something-else-entirely"},
    ):
        assert_nested(httpx.get(f"{lan.url}/api/health", headers=headers), 401, "ACCESS_TOKEN_REQUIRED")
    assert_nested(httpx.get(f"{lan.url}/api/health?token=wrong-token-0123"), 401, "ACCESS_TOKEN_REQUIRED")
    status, body = raw_request(
        LAN_HOST,
        lan.info["port"],
        f"GET /api/health HTTP/1.1\nHost: {LAN_HOST}:{lan.info['port']}\n"
        f"Authorization: Bearer {lan.token}\nAuthorization: Bearer {lan.token}\nConnection: close\n",
    )
    assert status == 401 and json.loads(body)["error"]["code"] == "ACCESS_TOKEN_REQUIRED"
    assert lan.token.encode() not in body


def test_lan_mode_keeps_grpc_and_nats_on_loopback(lan: LanStack) -> None:
    internal = [*lan.info["stack"]["services"].values(), lan.info["stack"]["natsUrl"].removeprefix("nats://")]
    for address in internal:
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1", address
        socket.create_connection((host, int(port)), timeout=5).close()
        with pytest.raises(OSError):  # not listening on the address the gateway is exposed on
            socket.create_connection((LAN_HOST, int(port)), timeout=5).close()


def test_lan_requests_with_the_token_succeed(lan: LanStack) -> None:
    with httpx.Client(base_url=lan.url, headers=lan.bearer(), timeout=30) as http:
        assert http.get("/api/health").json()["ok"] is True
        assert http.get("/api/keys/status").status_code == 200
        assert http.get("/").status_code == 200
    response = httpx.get(f"{lan.url}/api/health", headers={"X-Ima2-Token": lan.token})
    assert response.status_code == 200


def test_lan_host_and_origin_are_still_checked(lan: LanStack) -> None:
    port = lan.info["port"]
    # Bound to one address: the loopback aliases are not served, a rebinding name is not either.
    for host in (f"localhost:{port}", "localhost", f"127.0.0.1:{port}", f"evil.example:{port}", LAN_HOST):
        response = httpx.get(f"{lan.url}/api/health", headers={**lan.bearer(), "Host": host})
        assert_nested(response, 403, "LOCAL_HOST_REJECTED")
    response = httpx.put(
        f"{lan.url}/api/keys/gemini-auth-mode",
        json={"mode": "apikey"},
        headers={**lan.bearer(), "Origin": "http://evil.example"},
    )
    assert_nested(response, 403, "LOCAL_ORIGIN_REJECTED")


def test_token_in_the_url_opens_a_cookie_session(lan: LanStack) -> None:
    with httpx.Client(base_url=lan.url, timeout=30) as http:
        page = http.get(f"/?token={lan.token}&tab=settings")
        assert page.status_code == 303
        assert page.headers["location"] == "/?tab=settings"
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert lan.token not in cookie
        name, value = cookie.split(";", 1)[0].split("=", 1)
        assert name.startswith("ima2_access_")
        # The client keeps the cookie: reads pass, and a change passes with a same-origin Origin.
        assert (http.get("/api/keys/status")).status_code == 200
        assert (http.get("/")).status_code == 200
        origin = {"Origin": lan.url}
        response = http.put("/api/keys/gemini-auth-mode", json={"mode": "apikey"}, headers=origin)
        assert response.status_code == 200, response.text
        # A cookie-authenticated change without Origin is refused (CSRF guard).
        response = http.put("/api/keys/gemini-auth-mode", json={"mode": "apikey"})
        assert_nested(response, 403, "LOCAL_ORIGIN_REJECTED")
        # An explicit wrong token never falls back to the cookie.
        response = http.get("/api/health", headers={"Authorization": "Bearer wrong-token-0123456789"})
        assert_nested(response, 401, "ACCESS_TOKEN_REQUIRED")
        # An API call with ?token= goes on (the token is not passed to the route) and sets the cookie too.
        api = http.get(f"/api/health?token={lan.token}")
        assert api.status_code == 200 and "set-cookie" in api.headers
    expires, nonce, signature = value.split(".")
    for forged in (
        f"{expires}.{nonce}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}",
        f"{int(expires) + 10}.{nonce}.{signature}",
        f"{int(time.time()) - 10}.{nonce}.{signature}",
        "garbage",
    ):
        response = httpx.get(f"{lan.url}/api/health", cookies={name: forged})
        assert_nested(response, 401, "ACCESS_TOKEN_REQUIRED")
    # The cookie is bound to the origin it was issued for.
    response = httpx.get(f"{lan.url}/api/health", headers={"Cookie": f"ima2_access_000000000000={value}"})
    assert_nested(response, 401, "ACCESS_TOKEN_REQUIRED")


# -- the CLI reads the token from its environment or its config ------------------------------------


def run_cli(
    args: list[str], home: Path, env_extra: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
    env.update({"IMA2_HOME": str(home), **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "ima2_cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_sends_the_token_from_env_or_config(lan: LanStack, tmp_path: Path) -> None:
    home = tmp_path / "cli-home"
    refused = run_cli(["ping", "--server", lan.url], home)
    assert refused.returncode == 4, refused.stderr
    assert "ACCESS_TOKEN_REQUIRED" in refused.stderr and lan.token not in refused.stderr
    from_env = run_cli(["ping", "--server", lan.url], home, {"IMA2_ACCESS_TOKEN": lan.token})
    assert from_env.returncode == 0, from_env.stderr
    assert from_env.stdout.startswith(f"ok {lan.url}")
    assert run_cli(["config", "set", "server", lan.url], home).returncode == 0
    assert run_cli(["config", "set", "accessToken", "-"], home, stdin=lan.token + "\n").returncode == 0
    config_file = home / "cli.json"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    shown = run_cli(["config", "get", "accessToken"], home)
    assert shown.returncode == 0 and lan.token not in shown.stdout
    from_config = run_cli(["providers", "--json"], home)
    assert from_config.returncode == 0, from_config.stderr
    assert json.loads(from_config.stdout)["keys"]["openai"]["source"] == "config"
    assert run_cli(["ping"], home).returncode == 0
    assert run_cli(["ping", "--server", f"http://127.0.0.1:{free_port()}"], home).returncode == 3


def test_cli_discovers_the_server_from_server_json(stack: RunningStack) -> None:
    result = run_cli(["ping", "--json"], stack.home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


# -- starting off loopback --------------------------------------------------------------------------


def test_gateway_refuses_to_start_off_loopback_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
    base = {**env, "IMA2_HOME": str(tmp_path), "IMA2_HOST": LAN_HOST, "IMA2_PORT": str(free_port(LAN_HOST))}
    for extra, message in (
        ({}, "needs an access token"),
        ({"IMA2_ACCESS_TOKEN": "short"}, "at least 16"),
        (
            {"IMA2_ACCESS_TOKEN": "x" * 20, "IMA2_PUBLIC_ORIGINS": '["http://*.example"]'},
            "IMA2_PUBLIC_ORIGINS",
        ),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "ima2_gateway"],
            env={**base, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert message in result.stderr, result.stderr
    launcher = run_cli(["up", "--host", LAN_HOST], tmp_path, {"IMA2_ACCESS_TOKEN": "short"})
    assert launcher.returncode == 1 and "16" in launcher.stderr


def test_launcher_generates_a_token_once_and_keeps_it(tmp_path: Path) -> None:
    home = tmp_path / "generated"
    stack = start_lan_stack(home, None)
    try:
        token_file = home / "access-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 32 and stack.token == token
        launcher_out = (home / "launcher.out").read_text()
        assert launcher_out.count(token) == 1
        assert re.search(r"access token \(shown this once", launcher_out)
        assert httpx.get(f"{stack.url}/api/health").status_code == 401
        assert httpx.get(f"{stack.url}/api/health", headers=stack.bearer()).json()["ok"] is True
        # The CLI on this machine finds both the server (server.json) and the generated token.
        assert run_cli(["ping"], home).returncode == 0
        logs = "".join(p.read_text(errors="replace") for p in (home / "logs").iterdir() if p.is_file())
        assert token not in logs
    finally:
        stack.stop()


def test_lan_browsers_get_a_sign_in_page(lan: LanStack) -> None:
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = httpx.get(f"{lan.url}/", headers=html)
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert (
        page.headers["cache-control"] == "no-store"
        and "default-src 'none'" in page.headers["content-security-policy"]
    )
    assert '<form method="get" action="/">' in page.text and 'name="token"' in page.text
    assert "not accepted" not in page.text
    wrong = httpx.get(f"{lan.url}/?token=wrong-token-0123456789", headers=html)
    assert wrong.status_code == 401 and "not accepted" in wrong.text and "wrong-token" not in wrong.text
    # API calls, media and scripts keep the JSON envelope whatever they accept.
    for path in ("/api/health", "/generated/x.png", "/static/js/app.js"):
        response = httpx.get(f"{lan.url}{path}", headers={"Accept": "application/json"})
        assert_nested(response, 401, "ACCESS_TOKEN_REQUIRED")
    assert_nested(httpx.get(f"{lan.url}/api/health", headers=html), 401, "ACCESS_TOKEN_REQUIRED")
    # The right token through the form opens the session and lands on the page without the token.
    signed = httpx.get(f"{lan.url}/?token={lan.token}", headers=html)
    assert signed.status_code == 303 and signed.headers["location"] == "/"
