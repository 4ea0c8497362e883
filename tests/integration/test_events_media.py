"""Media stays out of the event stream: large results still end on /api/events, whole.

Services store the images first and publish references; the gateway sends the spec's data
URLs. An async job of eight large incompressible images is far over the NATS message limit
as one inline event, yet its `done` reaches /api/events with every image, and the replay copy
stays small.
"""

from __future__ import annotations

import base64

import httpx

from ima2_common import limits
from ima2_common.media import strip_data_url
from tests.image_support import EventWatch, rid
from tests.sse import LiveEvents
from tests.stackctl import RunningStack

COUNT = 8


async def test_eight_large_images_end_on_the_event_stream(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    request_id = rid("req_big")
    await sandbox.put("/_sandbox/settings", json={"imageNoise": True})
    try:
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
    finally:
        await sandbox.put("/_sandbox/settings", json={"imageNoise": False})
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
