"""The review gaps of issue 14, through the gateway on the session stack: the graph load route,
the data paths in health, the storage recovery document, agy model validation and `grok` calling
xAI directly with a stored Grok login (whose token never reaches a log or a body)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ima2_common import catalog, limits
from tests.stackctl import RunningStack

REPO = Path(__file__).resolve().parents[2]


async def test_graph_load_returns_the_version_to_save_against(client: httpx.AsyncClient) -> None:
    session = (await client.post("/api/sessions", json={"title": "graph load"})).json()["session"]
    sid = session["id"]
    first = await client.get(f"/api/sessions/{sid}/graph")
    assert first.status_code == 200 and first.headers["etag"] == '"0"'
    assert first.json() == {"sessionId": sid, "nodes": [], "edges": [], "graphVersion": 0}
    nodes = [{"id": "a", "x": 1.5, "y": 2, "data": {"prompt": "p"}}, {"id": "b", "x": 3, "y": 4, "data": {}}]
    edges = [{"id": "e", "source": "a", "target": "b", "data": {}}]
    saved = await client.put(
        f"/api/sessions/{sid}/graph",
        json={"nodes": nodes, "edges": edges},
        headers={"If-Match": first.headers["etag"]},
    )
    assert saved.status_code == 200 and saved.json()["graphVersion"] == 1
    loaded = await client.get(f"/api/sessions/{sid}/graph")
    body = loaded.json()
    assert loaded.headers["etag"] == '"1"' and body["graphVersion"] == 1
    assert [n["id"] for n in body["nodes"]] == ["a", "b"] and body["edges"][0]["source"] == "a"
    stale = await client.put(
        f"/api/sessions/{sid}/graph", json={"nodes": [], "edges": []}, headers={"If-Match": '"0"'}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "GRAPH_VERSION_CONFLICT"
    missing = await client.get("/api/sessions/s_00000000000000000000000000/graph")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "SESSION_NOT_FOUND"


def test_health_lists_the_data_paths_and_provider_policy(stack: RunningStack) -> None:
    health = httpx.get(f"{stack.url}/api/health").json()
    paths = health["paths"]
    home = stack.home.resolve()
    assert Path(paths["configDir"]).resolve() == home
    assert Path(paths["generatedDir"]) == home / "generated" and Path(paths["generatedDir"]).is_dir()
    assert Path(paths["configFile"]).resolve() == home / "config.json"
    assert Path(paths["logsDir"]).resolve() == home / "logs"
    assert Path(paths["serverFile"]).resolve() == home / "server.json"
    assert paths["database"] in ("postgresql", str(home / "ima2.db"), str(stack.home / "ima2.db"))
    assert paths["overrides"] == {"generatedDir": False, "configDir": True}
    policy = health["providerPolicy"]
    assert policy["default"] == "oauth" and policy["providers"] == list(catalog.IMAGE_PROVIDERS)
    assert policy["defaultModels"]["agy"] == catalog.AGY_MODEL


async def test_storage_status_points_to_a_recovery_document_that_exists(client: httpx.AsyncClient) -> None:
    data = (await client.get("/api/storage/status")).json()["data"]
    document = REPO / data["recoveryDocsPath"]
    assert document.is_file()
    text = document.read_text(encoding="utf-8")
    for needle in ("IMA2_LEGACY_GENERATED_DIRS", "node_modules/ima2-gen/generated", "backfill-thumbnails"):
        assert needle in text


async def test_agy_accepts_only_its_model(client: httpx.AsyncClient) -> None:
    for model in ("gpt-5.4", "nano-banana-pro", "anything"):
        response = await client.post(
            "/api/generate", json={"prompt": "a fox", "provider": "agy", "model": model}
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "INVALID_IMAGE_MODEL"


async def test_grok_calls_xai_directly_with_the_stored_login(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    token = f"sandbox-grok-direct-{uuid.uuid4().hex}"
    login = stack.home / "sandbox" / "progrok-auth.json"
    login.parent.mkdir(parents=True, exist_ok=True)
    expires = int(time.time() * 1000) + 3_600_000
    login.write_text(json.dumps({"accessToken": token, "refreshToken": None, "expiresAt": expires}))
    try:
        await sandbox.delete("/_sandbox/requests")
        response = await client.post(
            "/api/generate",
            json={"prompt": "a lighthouse at dusk", "provider": "grok", "model": "grok-imagine-image"},
        )
        assert response.status_code == 200, response.text
        assert token not in response.text
        calls = (await sandbox.get("/_sandbox/requests")).json()["requests"]
        upstreams = {(c["upstream"], c["path"].rsplit("/", 1)[-1]) for c in calls if c["method"] == "POST"}
        assert {("xai", "responses"), ("xai", "completions"), ("xai", "generations")} <= upstreams
        assert not [c for c in calls if c["upstream"] == "progrok"]
        status = (await client.get("/api/grok/status")).json()
        assert status["status"] == "ready" and token not in json.dumps(status)
    finally:
        login.unlink(missing_ok=True)
    for name, text in stack.logs().items():
        assert token not in text, name


def test_server_json_keeps_the_oauth_status_current(stack: RunningStack) -> None:
    def advertised() -> str:
        return str(json.loads((stack.home / "server.json").read_text())["oauth"]["status"])

    def wait_for(status: str) -> None:
        deadline = time.monotonic() + limits.SERVER_JSON_REFRESH_SECONDS * 3 + 5
        while advertised() != status and time.monotonic() < deadline:
            time.sleep(0.2)
        assert advertised() == status

    wait_for("ready")
    fault = {"upstream": "oauth", "path": "/models", "status": 401, "count": 0}
    httpx.post(f"{stack.sandbox_url}/_sandbox/faults", json=fault)
    try:
        wait_for("auth_required")
    finally:
        httpx.delete(f"{stack.sandbox_url}/_sandbox/faults")
    wait_for("ready")


async def test_gemini_honours_the_saved_auth_mode(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "ima2-mode-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "ima2@ima2-mode-test.iam.gserviceaccount.com",
        "token_uri": f"{stack.sandbox_url}/google-oauth/token",
    }
    saved = await client.put("/api/keys/vertex", json={"serviceAccountJson": json.dumps(account)})
    assert saved.status_code == 200, saved.text

    async def upstream_of_next_generation() -> set[str]:
        await sandbox.delete("/_sandbox/requests")
        response = await client.post(
            "/api/generate", json={"prompt": "a kite", "provider": "gemini-api", "model": "nano-banana-2"}
        )
        assert response.status_code == 200, response.text
        calls = (await sandbox.get("/_sandbox/requests")).json()["requests"]
        return {c["upstream"] for c in calls if c["upstream"] in ("gemini", "vertex")}

    try:
        assert (await client.get("/api/keys/status")).json()["geminiAuthMode"] == "vertex"
        assert await upstream_of_next_generation() == {"vertex"}  # both configured, mode vertex
        await client.put("/api/keys/gemini-auth-mode", json={"mode": "apikey"})
        assert await upstream_of_next_generation() == {"gemini"}  # both configured, mode apikey
        await client.put("/api/keys/gemini-auth-mode", json={"mode": "vertex"})
        assert await upstream_of_next_generation() == {"vertex"}
    finally:
        await client.delete("/api/keys/vertex")
        await client.put("/api/keys/gemini-auth-mode", json={"mode": "apikey"})
    assert pem.splitlines()[1] not in "".join(stack.logs().values())


def test_capabilities_report_the_features_of_this_build(stack: RunningStack) -> None:
    capabilities = httpx.get(f"{stack.url}/api/capabilities").json()
    assert capabilities["features"] == {
        "cardNews": False,
        "promptBuilder": True,
        "promptImport": True,
        "comfyExport": True,
    }
    assert capabilities["promptBuilder"]["autoOrder"] == list(catalog.PROMPT_BUILDER_AUTO_ORDER)
    assert capabilities["promptImport"]["maxFileBytes"] == limits.PROMPT_IMPORT_MAX_FILE_BYTES
    for path in ("/api/cardnews/sets", "/api/cardnews/role-templates"):
        assert httpx.get(f"{stack.url}{path}").status_code == 404  # absent while card news is off
