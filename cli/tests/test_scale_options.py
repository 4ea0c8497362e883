"""`--scale PART=N` parsing and its rules."""

from __future__ import annotations

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
