"""`--scale PART=N` parsing and its rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ima2_cli.launcher.scale import ScaleError, parse_scale, replica_name


def test_scale_counts_and_defaults() -> None:
    scale = parse_scale(["gateway=2", "svc-image=3", "nats=3"], "")
    assert (scale.of("gateway"), scale.of("svc-image"), scale.of("svc-auth")) == (2, 3, 1)
    assert scale.nats_replicas == 3
    assert parse_scale([], "").nats_replicas == 1
    assert replica_name("svc-image", 0) == "svc-image"
    assert replica_name("svc-image", 2) == "svc-image-3"


@pytest.mark.parametrize(
    "value", ["image=2", "svc-image", "svc-image=0", "svc-image=x", "nats=2", "gateway=99"]
)
def test_bad_scale_values(value: str) -> None:
    with pytest.raises(ScaleError):
        parse_scale([value], "")


def test_library_replicas_need_postgresql() -> None:
    with pytest.raises(ScaleError, match="PostgreSQL"):
        parse_scale(["svc-library=2"], "")
    assert parse_scale(["svc-library=2"], "postgresql://localhost/test").of("svc-library") == 2


def test_up_refuses_sqlite_library_replicas(tmp_path: Path) -> None:
    """`ima2 up` says why before it starts anything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
    env["IMA2_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "ima2_cli", "up", "--sandbox", "--scale", "svc-library=2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "IMA2_DATABASE_URL" in result.stderr and "PostgreSQL" in result.stderr
    assert not (tmp_path / "server.json").exists()
