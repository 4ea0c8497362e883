"""The sandbox as a real process (`python -m ima2_sandbox`): hang, drop and slow-stream over TCP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ima2_common.net import free_port, wait_for_port

KEY = {"Authorization": "Bearer sk-test-sandbox-key"}
STREAM_BODY = {
    "model": "gpt-5.4",
    "stream": True,
    "input": "a kettle",
    "tools": [{"type": "image_generation", "size": "256x256", "partial_images": 1}],
    "tool_choice": {"type": "image_generation"},
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ima2_sandbox", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port("127.0.0.1", port, 20), "sandbox did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=5) as client:
        await client.delete("/_sandbox/faults")
        await client.post("/_sandbox/reset")
        yield client


async def test_real_server_basics(http: httpx.AsyncClient, server: str) -> None:
    assert (await http.get("/_sandbox/health")).json()["status"] == "ok"
    data = (
        await http.post(
            "/xai/v1/images/generations", json={"prompt": "x"}, headers={"Authorization": "Bearer xai-k"}
        )
    ).json()
    url = data["data"][0]["url"]
    assert url.startswith(server + "/files/imgs/")
    assert (await http.get(url)).headers["content-type"] == "image/jpeg"


async def test_hang_times_out_client_and_keeps_serving(http: httpx.AsyncClient) -> None:
    await http.post("/_sandbox/faults", json={"upstream": "openai", "mode": "hang"})
    with pytest.raises(httpx.ReadTimeout):
        await http.get("/openai/v1/models", headers=KEY, timeout=0.5)
    assert (await http.get("/openai/v1/models", headers=KEY)).status_code == 200


async def test_drop_closes_connection(http: httpx.AsyncClient) -> None:
    await http.post("/_sandbox/faults", json={"upstream": "openai", "mode": "drop"})
    with pytest.raises(httpx.HTTPError):
        response = await http.get("/openai/v1/models", headers=KEY)
        response.json()
    await http.post("/_sandbox/faults", json={"upstream": "openai", "mode": "drop"})
    seen: list[str] = []
    with pytest.raises(httpx.HTTPError):
        async with http.stream("POST", "/openai/v1/responses", json=STREAM_BODY, headers=KEY) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    seen.append(line[7:])
    assert seen == ["response.created", "response.in_progress"]


async def test_slow_stream_spaces_events(http: httpx.AsyncClient) -> None:
    await http.post("/_sandbox/faults", json={"upstream": "openai", "mode": "slow-stream", "delay": 0.05})
    arrivals: list[float] = []
    async with http.stream("POST", "/openai/v1/responses", json=STREAM_BODY, headers=KEY) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 10
    assert arrivals[-1] - arrivals[0] >= 0.05 * (len(arrivals) - 1) * 0.9
