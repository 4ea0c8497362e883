"""`ima2 up --scale PART=N`: which parts scale, how many of each, and what that requires."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

PARTS = ("gateway", "svc-image", "svc-video", "svc-library", "svc-auth", "nats")
MAX_REPLICAS = 16
NATS_SIZES = (1, 3, 5)  # a JetStream cluster needs an odd number of nodes for its quorum


class ScaleError(ValueError):
    pass


@dataclass(frozen=True)
class Scale:
    counts: dict[str, int] = field(default_factory=dict)

    def of(self, part: str) -> int:
        return self.counts.get(part, 1)

    @property
    def nats_replicas(self) -> int:
        """Copies of each stream and bucket: one per node, up to three."""
        return min(3, self.of("nats"))


def parse_scale(values: Iterable[str], database_url: str) -> Scale:
    counts: dict[str, int] = {}
    for value in values:
        part, sep, number = value.partition("=")
        part = part.strip()
        if not sep or part not in PARTS:
            raise ScaleError(f"--scale takes PART=N with PART one of {', '.join(PARTS)} (got {value!r})")
        try:
            count = int(number)
        except ValueError:
            raise ScaleError(f"--scale {part}=N needs a whole number (got {number!r})") from None
        if not 1 <= count <= MAX_REPLICAS:
            raise ScaleError(f"--scale {part}: between 1 and {MAX_REPLICAS} replicas")
        counts[part] = count
    scale = Scale(counts)
    if scale.of("nats") not in NATS_SIZES:
        raise ScaleError("--scale nats: 1, 3 or 5 nodes (a JetStream cluster needs an odd quorum)")
    if scale.of("svc-library") > 1 and not database_url:
        raise ScaleError(
            "more than one svc-library replica needs PostgreSQL: set IMA2_DATABASE_URL "
            "(SQLite under IMA2_HOME serves one replica only)"
        )
    return scale


def replica_name(part: str, index: int) -> str:
    """`svc-image` for the first replica (its log and pid keep the single-replica names), then `svc-image-2`..."""
    return part if index == 0 else f"{part}-{index + 1}"
