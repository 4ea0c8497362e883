"""The committed generated protobuf code is exactly what the generator produces from the .proto files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "proto" / "src" / "ima2_proto" / "v1"


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "proto_generate", ROOT / "proto" / "scripts" / "generate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["proto_generate"] = module
    spec.loader.exec_module(module)
    module.generate(tmp_path)
    fresh = {
        p.name: p.read_bytes()
        for p in (tmp_path / "ima2_proto" / "v1").iterdir()
        if p.suffix in (".py", ".pyi")
    }
    committed = {p.name: p.read_bytes() for p in GENERATED.iterdir() if "_pb2" in p.name}
    assert set(fresh) == set(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"regenerate with: uv run python proto/scripts/generate.py ({stale})"


def test_every_service_is_in_the_contracts() -> None:
    from ima2_proto.v1 import auth_pb2, image_pb2, library_pb2, video_pb2

    services = {
        "ImageService": image_pb2,
        "VideoService": video_pb2,
        "LibraryService": library_pb2,
        "AuthService": auth_pb2,
    }
    for name, module in services.items():
        assert module.DESCRIPTOR.services_by_name[name].methods
