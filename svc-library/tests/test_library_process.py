"""`python -m ima2_library`: serves health, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from ima2_common.grpc_client import ServiceClient
from ima2_common.net import free_port
from ima2_proto.v1 import common_pb2, library_pb2_grpc


async def test_process_serves_and_shuts_down(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "IMA2_HOME": str(tmp_path / "home"), "IMA2_LIBRARY_ADDR": f"127.0.0.1:{port}"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ima2_library",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    client = ServiceClient("library", f"127.0.0.1:{port}", library_pb2_grpc.LibraryServiceStub)
    try:
        for _ in range(200):
            if await client.healthy(timeout=0.5):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("svc-library did not become healthy")
        status = await client.unary(client.stub.GetStorageStatus, common_pb2.Empty())
        assert status.state == "not_found"
        assert (tmp_path / "home" / "ima2.db").exists()
        assert (tmp_path / "home" / "generated").is_dir()
    finally:
        await client.close()
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=15)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert (tmp_path / "home" / "logs" / "svc-library.log").exists()
