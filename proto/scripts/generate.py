"""Regenerate the committed protobuf/gRPC code: `uv run python proto/scripts/generate.py [OUT_ROOT]`.

The .proto files live beside their generated modules under proto/src/ima2_proto/v1, and
protoc runs with proto/src as the include root, so the generated imports are correct as
generated (`from ima2_proto.v1 import common_pb2`). mypy-protobuf writes the type stubs: the
messages' `_pb2.pyi` and the services' `_pb2_grpc.pyi`, whose stubs and servicers mypy checks.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

SRC_ROOT = Path(__file__).resolve().parents[1] / "src"


def proto_files() -> list[Path]:
    return sorted((SRC_ROOT / "ima2_proto" / "v1").glob("*.proto"))


def _plugin(name: str) -> str:
    """mypy-protobuf's protoc plugins sit beside the interpreter in the environment's bin/."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: run `uv sync` (mypy-protobuf is a dev dependency)")
    return found


def generate(out_root: Path) -> None:
    out_root.mkdir(parents=True, exist_ok=True)
    well_known = resources.files("grpc_tools") / "_proto"
    plugins = [
        f"--plugin=protoc-gen-{name}={_plugin(f'protoc-gen-{name}')}" for name in ("mypy", "mypy_grpc")
    ]
    for proto in proto_files():
        rel = proto.relative_to(SRC_ROOT).as_posix()
        args = [
            "grpc_tools.protoc",
            f"-I{SRC_ROOT}",
            f"-I{well_known}",
            f"--python_out={out_root}",
            *plugins,
            f"--mypy_out=quiet:{out_root}",
            f"--grpc_python_out={out_root}",
            # Every caller is on grpc.aio: the stubs type the async multi-callables only.
            f"--mypy_grpc_out=only_async,quiet:{out_root}",
            rel,
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed for {rel}")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else SRC_ROOT)
