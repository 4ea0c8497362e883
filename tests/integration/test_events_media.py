"""Media stays out of the event stream: large results still end on /api/events, whole.

Services store the images first and publish references; the gateway sends the spec's data
URLs. An async job of eight large incompressible images is far over the NATS message limit
as one inline event, yet its `done` reaches /api/events with every image, and the replay copy
stays small.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ima2_common import limits
from ima2_common.media import strip_data_url
from tests.image_support import EventWatch, rid
from tests.sse import LiveEvents
from tests.stackctl import RunningStack, start_stack

COUNT = 8


@pytest.fixture(scope="module")
def big_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # Its own stack with the default lease: the shared one uses 3 s leases to keep the fault tests
    # short, and a loaded machine moving ~100 MB of images must not be taken for a dead service.
    running = start_stack(tmp_path_factory.mktemp("ima2-big"))
    yield running
    running.stop()


@pytest.fixture
async def client(big_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=big_stack.url, timeout=60) as http:
        yield http


@pytest.fixture
async def sandbox(big_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=big_stack.sandbox_url, timeout=30) as http:
        yield http


async def test_eight_large_images_end_on_the_event_stream(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, big_stack: RunningStack
) -> None:
    stack = big_stack
    request_id = rid("req_big")
    await sandbox.put("/_sandbox/settings", json={"imageNoise": True})
    async with EventWatch(client) as watch:
        accepted = await client.post(
            "/api/generate",
            json={
                "prompt": "static",
                "provider": "api",
                "quality": "low",
                "size": "3840x2160",
                "n": COUNT,
                "async": True,
                "requestId": request_id,
            },
        )
        assert accepted.status_code == 202, accepted.text
        mine = await watch.job(request_id, timeout=240)
    done = mine[-1]
    assert done.event == "done", done.data
    assert done.data["count"] == COUNT and len(done.data["images"]) == COUNT
    inline_bytes = 0
    for image in done.data["images"]:
        stored = (stack.home / "generated" / image["filename"]).read_bytes()
        mime, payload = strip_data_url(image["image"])
        assert mime == "image/png" and base64.b64decode(payload) == stored
        inline_bytes += len(image["image"])
    assert inline_bytes > limits.NATS_MAX_PAYLOAD  # as one inline message this could never be published

    # Replay (from just before the done event) omits the images and says so.
    assert done.id is not None
    async with LiveEvents(client, headers={"Last-Event-ID": str(done.id - 1)}) as replay:
        frames = await replay.collect(lambda f: f.id == done.id, timeout=30)
    replayed = frames[-1]
    assert replayed.data["_imageOmitted"] is True
    assert all("image" not in item and "mediaRef" not in item for item in replayed.data["images"])
    assert [item["filename"] for item in replayed.data["images"]] == [
        item["filename"] for item in done.data["images"]
    ]
