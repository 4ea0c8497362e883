"""No full key or token ever leaves svc-auth: not in a log line, a response body or an SSE event.

A module fixture runs every auth flow with distinctive secrets on a LAN-mode stack (so the access
token and a cookie session are in play too): keys saved (and one refused), a Vertex service
account, Grok and Codex device logins, quota and billing probes, forced refreshes over gRPC, a
generation with the saved key, the CLI. It keeps every response body, the live /api/events stream
and the CLI's output; the test then scans those and every log file of the stack for each secret,
and for anything shaped like a JWT or a bearer credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc
from tests.integration.test_access import LanStack, start_lan_stack
from tests.stackctl import RunningStack

JWT_HEADER = "eyJhbGci"  # base64 of '{"alg' — the start of every JWT
BEARER_RE = re.compile(r"(?i)bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}")


@dataclass
class Scenario:
    stack: LanStack
    secrets: set[str] = field(default_factory=set)
    bodies: list[str] = field(default_factory=list)
    sse: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    request_id: str = ""


async def wait_complete(http: httpx.AsyncClient, session_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        status: dict[str, object] = (await http.get(f"/api/auth/switch/{session_id}")).json()
        if status["status"] != "pending":
            return status
        await asyncio.sleep(0.1)
    raise AssertionError("login did not finish")


def oauth_secrets(home: Path) -> set[str]:
    found = set()
    progrok = home / "sandbox" / "progrok-auth.json"
    if progrok.exists():
        data = json.loads(progrok.read_text())
        found |= {data[k] for k in ("accessToken", "refreshToken", "idToken") if data.get(k)}
    codex = home / "sandbox" / "codex-auth.json"
    if codex.exists():
        tokens = json.loads(codex.read_text())["tokens"]
        found |= {tokens[k] for k in ("access_token", "refresh_token", "id_token") if tokens.get(k)}
    return found


@pytest.fixture(scope="module")
async def scenario(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scenario]:
    token = f"Scan-Access-{uuid.uuid4().hex}"
    stack = start_lan_stack(tmp_path_factory.mktemp("ima2-secrets"), token, {"IMA2_LOG_LEVEL": "DEBUG"})
    run = Scenario(stack, secrets={token})
    sandbox = httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10)
    await sandbox.put("/_sandbox/settings", json={"deviceInterval": 1})

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        run.bodies.append(response.text)
        run.bodies.append(json.dumps({k: v for k, v in response.headers.items() if k != "set-cookie"}))

    async with httpx.AsyncClient(
        base_url=stack.url, headers=stack.bearer(), timeout=60, event_hooks={"response": [keep]}
    ) as http:

        async def listen() -> None:
            async with (
                httpx.AsyncClient(base_url=stack.url, headers=stack.bearer(), timeout=None) as events,
                events.stream("GET", "/api/events") as response,
            ):
                async for chunk in response.aiter_text():
                    run.sse.append(chunk)

        listener = asyncio.create_task(listen())
        keys = {
            "openai": f"sk-ScanOpenAI{uuid.uuid4().hex}",
            "xai": f"xai-ScanXai{uuid.uuid4().hex}",
            "gemini": f"AIScanGemini{uuid.uuid4().hex}",
        }
        refused = f"sk-invalid-Scan{uuid.uuid4().hex}"
        private_key = (
            f"-----BEGIN PRIVATE KEY-----\nScanVertex{uuid.uuid4().hex}\n-----END PRIVATE KEY-----\n"
        )
        run.secrets |= {*keys.values(), refused, private_key.split("\n")[1]}
        for provider, key in keys.items():
            assert (await http.put(f"/api/keys/{provider}", json={"apiKey": key})).status_code == 200
        assert (await http.put("/api/keys/openai", json={"apiKey": refused})).status_code == 400
        account = {"type": "service_account", "project_id": "scan-project", "private_key": private_key}
        assert (
            await http.put("/api/keys/vertex", json={"serviceAccountJson": json.dumps(account)})
        ).status_code == 200
        for path in ("/api/keys/status", "/api/providers", "/api/billing", "/api/health"):
            assert (await http.get(path)).status_code == 200

        run.request_id = f"req_scan_{uuid.uuid4().hex[:12]}"
        generated = await http.post(
            "/api/generate",
            json={
                "prompt": "a quiet harbour",
                "provider": "api",
                "quality": "low",
                "requestId": run.request_id,
            },
        )
        assert generated.status_code == 200, generated.text

        for provider in ("grok", "codex"):
            started = (await http.post("/api/auth/switch", json={"provider": provider})).json()
            await sandbox.post("/_sandbox/device/approve", json={"userCode": started["userCode"]})
            assert (await wait_complete(http, started["sessionId"]))["status"] == "complete"
            run.secrets |= oauth_secrets(stack.home)
        assert (await http.get("/api/quota")).json()["grok"]["authenticated"] is True

        rpc = ServiceClient("auth", stack.info["stack"]["services"]["auth"], auth_pb2_grpc.AuthServiceStub)
        try:
            for provider in ("grok", "codex"):
                current = await rpc.unary(
                    rpc.stub.GetCredential, auth_pb2.GetCredentialRequest(provider=provider)
                )
                await rpc.unary(
                    rpc.stub.RefreshCredential,
                    auth_pb2.GetCredentialRequest(provider=provider, rejected_secret=current.secret),
                )
                run.secrets |= oauth_secrets(stack.home)
        finally:
            await rpc.close()
        assert (await http.get("/api/quota")).json()["codex"]["authenticated"] is True

        async with httpx.AsyncClient(base_url=stack.url, event_hooks={"response": [keep]}) as browser:
            page = await browser.get(f"/?token={token}")
        assert page.status_code == 303
        run.secrets.add(page.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1])

        env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
        for args in (["ping"], ["providers", "--json"]):
            result = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "ima2_cli", *args],
                env={**env, "IMA2_HOME": str(stack.home), "IMA2_ACCESS_TOKEN": token},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
            run.outputs.append(result.stdout + result.stderr)

        for provider in ("openai", "xai", "gemini", "vertex"):
            assert (await http.delete(f"/api/keys/{provider}")).status_code == 200
        for _ in range(200):  # the generation's events reach the live listener
            if run.request_id in "".join(run.sse):
                break
            await asyncio.sleep(0.05)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await listener
    await sandbox.aclose()
    stack.stop()
    yield run


def stack_logs(stack: RunningStack) -> dict[str, str]:
    """Every log of our parts; the sandbox's own output is the fake upstream's, which receives keys by design."""
    texts = {
        p.name: p.read_text(errors="replace")
        for p in (stack.home / "logs").iterdir()
        if p.is_file() and not p.name.startswith("sandbox")
    }
    texts["launcher.out"] = (stack.home / "launcher.out").read_text(errors="replace")
    return texts


def test_the_scan_covers_real_traffic(scenario: Scenario) -> None:
    assert len(scenario.secrets) >= 12  # 4 keys + refused + access token + OAuth tokens + cookie
    assert run_has(scenario.sse, scenario.request_id)
    logs = stack_logs(scenario.stack)
    assert {"gateway.log", "svc-auth.log", "svc-image.log"} <= set(logs)
    assert "oauth login stored" in logs["svc-auth.log"] and "oauth token refreshed" in logs["svc-auth.log"]
    assert len(scenario.bodies) > 20


def run_has(chunks: list[str], needle: str) -> bool:
    return needle in "".join(chunks)


def test_no_secret_in_logs_bodies_or_events(scenario: Scenario, stack: RunningStack) -> None:
    places = {f"log:{name}": text for name, text in stack_logs(scenario.stack).items()}
    places.update({f"session-log:{name}": text for name, text in stack_logs(stack).items()})
    places.update({f"body:{i}": text for i, text in enumerate(scenario.bodies)})
    places["sse"] = "".join(scenario.sse)
    places.update({f"cli:{i}": text for i, text in enumerate(scenario.outputs)})
    for where, text in places.items():
        for secret in scenario.secrets:
            assert secret not in text, f"a secret ({secret[:4]}…) appears in {where}"
            if not secret.startswith(JWT_HEADER):
                assert secret[:14] not in text, f"a secret prefix ({secret[:4]}…) appears in {where}"
            else:
                assert secret[-20:] not in text, f"a token signature appears in {where}"
        if where.startswith(("log:", "session-log:", "sse")):
            assert JWT_HEADER not in text, f"something shaped like a JWT appears in {where}"
            assert not BEARER_RE.search(text), f"a bearer credential appears in {where}"
