"""Outside sandbox mode: `grok-api` video without an xAI key is GROK_API_KEY_MISSING before anything
is admitted or sent; with a key saved through the API it works, and the key never reaches a log."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.image_support import inflight_ids, sse_post
from tests.stackctl import RunningStack, start_stack
from tests.video_support import unique, video_body, video_calls


async def test_grok_api_video_needs_a_key_and_never_logs_it(stack: RunningStack, tmp_path: Path) -> None:
    key = f"xai-video-secret-{uuid.uuid4().hex}"
    keyed = start_stack(
        tmp_path / "no-sandbox",
        sandbox=False,
        extra_env={
            "IMA2_XAI_BASE_URL": f"{stack.sandbox_url}/xai/v1",
            "IMA2_VIDEO_POLL_INTERVAL_SECONDS": "0.1",
        },
    )
    try:
        async with (
            httpx.AsyncClient(base_url=keyed.url, timeout=60) as client,
            httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
        ):
            missing = video_body(prompt=unique("no key"))
            result = await sse_post(client, "/api/video/generate", missing)
            assert [f.event for f in result.frames if f.event] == ["error"]
            assert (result.last.data["code"], result.last.data["status"]) == ("GROK_API_KEY_MISSING", 401)
            assert missing["requestId"] not in await inflight_ids(client)
            assert not [c for c in await video_calls(sandbox, "/") if missing["prompt"] in str(c["json"])]

            saved = await client.put("/api/keys/xai", json={"apiKey": key})
            assert saved.status_code == 200, saved.text
            body = video_body(prompt=unique("with key"))
            done = await sse_post(client, "/api/video/generate", body)
            assert done.last.event == "done", done.last.data
            [submit] = [
                c
                for c in await video_calls(sandbox, "/videos/generations")
                if body["prompt"] in str(c["json"])
            ]
            assert submit["headers"]["authorization"] == f"Bearer {key[:6]}…"
    finally:
        keyed.stop()
    for path in (keyed.home / "logs").iterdir():
        text = path.read_text(errors="replace")
        assert key not in text and key[:24] not in text, path.name
