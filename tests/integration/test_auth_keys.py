"""Key management through the gateway (spec "Key Management", reference §1.3), on the session stack.

Every check and code is produced through the public API with the keys envelope
`{ok:false, error, code}`; a saved key is what the next upstream call sends (seen in the sandbox's
request log and over gRPC); config.json stays 0600 and unchanged by refused requests. Saved keys
are removed again afterwards, so the stack is left on its sandbox keys.
"""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from ima2_auth.credentials import SANDBOX_SECRETS
from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc
from tests.image_support import calls_under_test
from tests.stackctl import RunningStack

AuthRpc = ServiceClient[auth_pb2_grpc.AuthServiceStub]

KEY_PROVIDERS = ("openai", "xai", "gemini")


def assert_keys_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["code"] == code and isinstance(body["error"], str), body


@pytest.fixture(scope="module", autouse=True)
def restore_keys(stack: RunningStack) -> Iterator[None]:
    yield
    for provider, secret in SANDBOX_SECRETS.items():  # the keys the sandbox stack was seeded with
        httpx.put(f"{stack.url}/api/keys/{provider}", json={"apiKey": secret})
    httpx.delete(f"{stack.url}/api/keys/vertex")
    httpx.put(f"{stack.url}/api/keys/gemini-auth-mode", json={"mode": "apikey"})


@pytest.fixture
async def auth_rpc(stack: RunningStack) -> AsyncIterator[AuthRpc]:
    client = ServiceClient("auth", stack.info["stack"]["services"]["auth"], auth_pb2_grpc.AuthServiceStub)
    yield client
    await client.close()


async def credential(rpc: AuthRpc, provider: str) -> auth_pb2.Credential:
    return await rpc.unary(rpc.stub.GetCredential, auth_pb2.GetCredentialRequest(provider=provider))


def config_file(stack: RunningStack) -> Path:
    return stack.home / "config.json"


def config_bytes(stack: RunningStack) -> bytes:
    path = config_file(stack)
    return path.read_bytes() if path.exists() else b""


async def test_status_lists_every_provider_masked(client: httpx.AsyncClient) -> None:
    status = (await client.get("/api/keys/status")).json()
    for provider in KEY_PROVIDERS:
        assert status[provider] == {
            "configured": True,
            "source": "config",
            "valid": True,
            "maskedKey": status[provider]["maskedKey"],
        }
        assert ".." in status[provider]["maskedKey"] and "sandbox" not in status[provider]["maskedKey"]
    assert status["vertex"]["configured"] is False and status["vertex"]["source"] == "none"
    assert status["geminiAuthMode"] in ("apikey", "vertex")
    assert status["openaiBaseUrl"]["defaultValue"] == "https://api.openai.com/v1"
    assert status["openaiBaseUrl"]["custom"] is True  # the sandbox's base URL
    assert status["configCorrupt"] is False


async def test_put_key_checks_in_order(client: httpx.AsyncClient, stack: RunningStack) -> None:
    before = config_bytes(stack)
    assert_keys_error(await client.put("/api/keys/nope", json={"apiKey": "sk-x"}), 400, "INVALID_PROVIDER")
    assert_keys_error(await client.delete("/api/keys/nope"), 400, "INVALID_PROVIDER")
    for body in ({}, {"apiKey": ""}, {"apiKey": "   "}, {"apiKey": 42}):
        assert_keys_error(await client.put("/api/keys/openai", json=body), 400, "MISSING_KEY")
    too_long = "sk-" + "a" * 510
    assert_keys_error(await client.put("/api/keys/openai", json={"apiKey": too_long}), 400, "KEY_TOO_LARGE")
    for provider, bad in (("openai", "xai-abc1234567"), ("xai", "sk-abc1234567"), ("gemini", "sk-abc12345")):
        response = await client.put(f"/api/keys/{provider}", json={"apiKey": bad})
        assert_keys_error(response, 400, "INVALID_KEY_FORMAT")
    response = await client.put("/api/keys/openai", json={"apiKey": "sk-has\ncontrol-chars"})
    assert_keys_error(response, 400, "INVALID_KEY_FORMAT")
    response = await client.put(
        "/api/keys/openai", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_keys_error(response, 400, "INVALID_BODY")
    assert config_bytes(stack) == before


async def test_keys_are_checked_upstream_before_saving(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    before = config_bytes(stack)
    await sandbox.delete("/_sandbox/requests")
    for provider, key in (
        ("openai", "sk-invalid-0123456789"),
        ("xai", "xai-invalid-0123456789"),
        ("gemini", "AIinvalid-0123456789"),
    ):
        response = await client.put(f"/api/keys/{provider}", json={"apiKey": key})
        assert_keys_error(response, 400, "KEY_VALIDATION_FAILED")
        assert key not in response.text
    seen = (await sandbox.get("/_sandbox/requests")).json()["requests"]
    checked = {(r["upstream"], r["method"], r["path"].rsplit("/", 1)[-1]) for r in seen}
    assert {("openai", "GET", "models"), ("xai", "GET", "models"), ("gemini", "GET", "models")} <= checked
    gemini = next(r for r in seen if r["upstream"] == "gemini")
    assert gemini["headers"]["x-goog-api-key"].startswith("AIinva")
    # No answer, a 429 or a 5xx says nothing about the key: KEY_CHECK_FAILED (502), nothing saved.
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/models", "status": 503})
    response = await client.put("/api/keys/openai", json={"apiKey": "sk-good-but-unchecked-01"})
    assert_keys_error(response, 502, "KEY_CHECK_FAILED")
    await sandbox.post("/_sandbox/faults", json={"upstream": "xai", "path": "/models", "mode": "drop"})
    response = await client.put("/api/keys/xai", json={"apiKey": "xai-good-but-unchecked-01"})
    assert_keys_error(response, 502, "KEY_CHECK_FAILED")
    assert config_bytes(stack) == before


async def test_a_saved_key_is_used_at_once_and_removed_at_once(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack, auth_rpc: AuthRpc
) -> None:
    key = f"sk-Live{uuid.uuid4().hex}"
    response = await client.put("/api/keys/openai", json={"apiKey": f"  {key}  "})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "provider": "openai", "source": "config", "valid": True}
    assert key not in response.text
    saved = json.loads(config_file(stack).read_text())
    assert saved["apiKey"] == key
    assert stat.S_IMODE(config_file(stack).stat().st_mode) == 0o600
    status = (await client.get("/api/keys/status")).json()["openai"]
    assert status == {
        "configured": True,
        "source": "config",
        "valid": True,
        "maskedKey": f"{key[:4]}..{key[-2:]}",
    }
    providers = (await client.get("/api/providers")).json()
    assert providers["apiKeySource"] == "config" and providers["keys"]["openai"]["source"] == "config"
    assert (await credential(auth_rpc, "openai")).secret == key

    async def bearer_of_next_generation() -> str:
        await sandbox.delete("/_sandbox/requests")
        body = {"prompt": "a lighthouse", "provider": "api", "quality": "low"}
        generated = await client.post("/api/generate", json=body)
        assert generated.status_code == 200, generated.text
        seen = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai"})).json()["requests"]
        return str(next(r for r in seen if r["path"].endswith("/responses"))["headers"]["authorization"])

    assert (await bearer_of_next_generation()).startswith(f"Bearer {key[:6]}")
    for provider, other in (("xai", f"xai-Live{uuid.uuid4().hex}"), ("gemini", f"AILive{uuid.uuid4().hex}")):
        response = await client.put(f"/api/keys/{provider}", json={"apiKey": other})
        assert response.status_code == 200, response.text
        got = await credential(auth_rpc, provider)
        assert (got.secret, got.source) == (other, "config")

    removed = await client.delete("/api/keys/openai")
    assert removed.json() == {"ok": True, "provider": "openai", "removed": True}
    assert "apiKey" not in json.loads(config_file(stack).read_text())
    await sandbox.delete("/_sandbox/requests")
    refused = await client.post("/api/generate", json={"prompt": "a lighthouse", "provider": "api"})
    assert refused.status_code == 401 and refused.json()["code"] == "API_KEY_REQUIRED"
    assert await calls_under_test(sandbox, upstream="openai") == []
    again = await client.delete("/api/keys/openai")
    assert again.json() == {"ok": True, "provider": "openai", "removed": False}
    for provider in ("xai", "gemini"):
        assert (await client.delete(f"/api/keys/{provider}")).json()["removed"] is True
        assert (await credential(auth_rpc, provider)).source == "none"
    # The sandbox's own keys can be added again, as any key (the rest of the suite uses them).
    for provider, secret in SANDBOX_SECRETS.items():
        assert (await client.put(f"/api/keys/{provider}", json={"apiKey": secret})).status_code == 200
        restored = await credential(auth_rpc, provider)
        assert (restored.secret, restored.source) == (secret, "config")
    assert (await bearer_of_next_generation()).startswith("Bearer sk-san")


async def test_vertex_service_account(
    client: httpx.AsyncClient, stack: RunningStack, auth_rpc: AuthRpc
) -> None:
    before = config_bytes(stack)
    for body, code in (
        ({}, "MISSING_KEY"),
        ({"serviceAccountJson": ""}, "MISSING_KEY"),
        ({"serviceAccountJson": "{not json"}, "INVALID_JSON"),
        ({"serviceAccountJson": json.dumps({"type": "user", "project_id": "p"})}, "INVALID_SERVICE_ACCOUNT"),
        ({"serviceAccountJson": json.dumps({"type": "service_account"})}, "INVALID_SERVICE_ACCOUNT"),
        ({"serviceAccountJson": "[1, 2]"}, "INVALID_SERVICE_ACCOUNT"),
        (
            {"serviceAccountJson": json.dumps({"type": "service_account", "pad": "x" * 51_200})},
            "KEY_TOO_LARGE",
        ),
    ):
        assert_keys_error(await client.put("/api/keys/vertex", json=body), 400, code)
    assert config_bytes(stack) == before
    private_key = f"-----BEGIN PRIVATE KEY-----\nVERTEX{uuid.uuid4().hex}\n-----END PRIVATE KEY-----\n"
    account = {
        "type": "service_account",
        "project_id": "ima2-test-project",
        "private_key": private_key,
        "client_email": "svc@ima2-test-project.iam.gserviceaccount.com",
    }
    response = await client.put("/api/keys/vertex", json={"serviceAccountJson": json.dumps(account)})
    assert response.json() == {"ok": True, "provider": "vertex", "source": "config", "valid": True}
    status = (await client.get("/api/keys/status")).json()
    assert status["vertex"]["maskedKey"] == "project: ima2-test-project"
    assert status["geminiAuthMode"] == "vertex"  # saving a service account selects Vertex
    assert private_key not in json.dumps(status)
    got = await credential(auth_rpc, "vertex")
    assert json.loads(got.secret)["private_key"] == private_key and got.project_id == "ima2-test-project"
    assert (await credential(auth_rpc, "gemini")).auth_mode == "vertex"
    removed = await client.delete("/api/keys/vertex")
    assert removed.json() == {"ok": True, "provider": "vertex", "removed": True}
    assert (await client.get("/api/keys/status")).json()["vertex"]["configured"] is False


async def test_gemini_auth_mode_persists(
    client: httpx.AsyncClient, stack: RunningStack, auth_rpc: AuthRpc
) -> None:
    for body in ({"mode": "auto"}, {}, {"mode": 1}):
        assert_keys_error(await client.put("/api/keys/gemini-auth-mode", json=body), 400, "INVALID_MODE")
    for mode in ("vertex", "apikey"):
        response = await client.put("/api/keys/gemini-auth-mode", json={"mode": mode})
        assert response.json() == {"ok": True, "geminiAuthMode": mode}
        assert json.loads(config_file(stack).read_text())["geminiAuthMode"] == mode
        assert (await client.get("/api/keys/status")).json()["geminiAuthMode"] == mode
        assert (await credential(auth_rpc, "gemini")).auth_mode == mode


async def test_a_corrupt_config_is_reported_and_left_alone(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    path = config_file(stack)
    original = path.read_bytes() if path.exists() else None
    path.write_text('{"apiKey": "sk-half-written')
    try:
        status = (await client.get("/api/keys/status")).json()
        assert status["configCorrupt"] is True
        response = await client.put("/api/keys/openai", json={"apiKey": "sk-would-overwrite-0123"})
        assert_keys_error(response, 500, "CONFIG_CORRUPT")
        assert_keys_error(await client.delete("/api/keys/openai"), 500, "CONFIG_CORRUPT")
        assert path.read_text() == '{"apiKey": "sk-half-written'
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
    assert (await client.get("/api/keys/status")).json()["configCorrupt"] is False
