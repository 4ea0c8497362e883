"""POST /api/video/generate through the gateway against the sandbox: SSE on the POST and on
/api/events, async 202, the three modes, the saved mp4 (ffmpeg-probed), its sidecar, thumbnail and
history row, and what reached xAI."""

from __future__ import annotations

import httpx
import pytest
from PIL import Image

from ima2_common import catalog, limits
from tests.image_support import EventWatch, history_rows, sse_post
from tests.stackctl import RunningStack
from tests.video_support import (
    SIZES_480P,
    assert_video_order,
    event_names,
    generate_done,
    png_data_url,
    sandbox_settings,
    stored_video,
    submits_of,
    terminal_job,
    unique,
    video_body,
    video_calls,
)


@pytest.mark.parametrize("provider", catalog.VIDEO_PROVIDERS)
async def test_text_to_video_streams_saves_and_lists(
    provider: str, client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    prompt = unique("a lighthouse at dusk")
    body = video_body(prompt=prompt, provider=provider, duration=3, aspectRatio="16:9")
    async with EventWatch(client) as watch:
        result = await sse_post(client, "/api/video/generate", body)
        bus = await watch.job(body["requestId"])
    assert result.status == 200 and result.headers["content-type"].startswith("text/event-stream")
    names = event_names(result.frames)
    assert_video_order(names)
    assert names[-1] == "done" and names.count("progress") >= 2
    # the same events, with the same ids, on /api/events
    assert [(f.id, f.event) for f in bus] == [(f.id, f.event) for f in result.frames if f.event]
    progress = [f.data["progress"] for f in result.events("progress")]
    assert all(0.0 <= p <= 1.0 for p in progress) and progress == sorted(progress) and progress[-1] == 1.0
    assert not any(f.data["stalled"] for f in result.events("progress"))
    submitted = result.events("submitted")[0].data
    assert submitted["requestId"] == body["requestId"] and submitted["xaiVideoRequestId"]
    assert submitted["requestedModel"] == submitted["effectiveModel"] == "grok-imagine-video"
    assert submitted["modelFallback"] is None

    done = result.last.data
    filename = done["filename"]
    assert done["url"] == f"/generated/{filename}" and done["mediaType"] == "video"
    assert (
        filename.endswith(".mp4") and filename.split("_")[0].isdigit() and len(filename.split("_")[1]) == 12
    )
    assert done["revisedPrompt"].startswith(prompt) and done["revisedPrompt"] != prompt
    assert done["usage"]["grok_cost_usd_ticks"] > 0 and done["elapsed"] >= 0
    assert done["video"]["duration"] == 3 and done["video"]["mode"] == "text-to-video"
    assert done["video"]["xaiVideoRequestId"] == submitted["xaiVideoRequestId"]
    continuity = done["videoContinuity"]
    assert continuity["lineageId"] == "lineage:" + filename.removesuffix(".mp4")
    assert [e["filename"] for e in continuity["entries"]] == [filename]

    saved = stored_video(stack, filename)
    assert abs(saved.probe.duration - 3) < 0.3
    assert (saved.probe.width, saved.probe.height) == SIZES_480P["16:9"]
    sidecar = saved.sidecar
    assert sidecar["kind"] == "video" and sidecar["mediaType"] == "video" and sidecar["mime"] == "video/mp4"
    assert sidecar["requestId"] == body["requestId"] and sidecar["provider"] == provider
    assert sidecar["prompt"] == sidecar["userPrompt"] == prompt
    assert sidecar["revisedPrompt"] == done["revisedPrompt"]
    assert sidecar["video"] == done["video"] and sidecar["videoContinuity"] == continuity
    thumb = stack.home / "generated" / f"{filename}.thumb.jpg"
    with Image.open(thumb) as image:
        assert image.format == "JPEG" and image.width == limits.THUMB_WIDTH
    assert done["thumb"] == f"/generated/{filename}.thumb.jpg"

    rows = [r for r in await history_rows(client) if r["filename"] == filename]
    assert len(rows) == 1
    row = rows[0]
    assert row["mediaType"] == "video" and row["url"] == done["url"] and row["thumb"] == done["thumb"]
    assert row["videoContinuity"] == continuity and row["video"]["xaiVideoRequestId"]

    # what reached xAI: the planner's prompt, the user's settings, no image
    [submit] = await submits_of(sandbox, prompt)
    sent = submit["json"]
    assert submit["upstream"] == ("progrok" if provider == "grok" else "xai")
    assert sent["model"] == "grok-imagine-video" and sent["prompt"] == done["revisedPrompt"]
    assert (sent["duration"], sent["resolution"], sent["aspect_ratio"]) == (3, "480p", "16:9")
    assert "image" not in sent and "reference_images" not in sent


async def test_served_with_range_requests(client: httpx.AsyncClient, stack: RunningStack) -> None:
    done = await generate_done(client, video_body(prompt=unique("range")))
    whole = await client.get(done["url"])
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers.get("accept-ranges") == "bytes"
    part = await client.get(done["url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == whole.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    tail = await client.get(done["url"], headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == whole.content[-16:]
    assert (await client.get(done["url"] + ".json")).status_code == 404  # sidecars stay private


async def test_async_mode_answers_202_and_streams_on_events(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    body = video_body(prompt=unique("async"), **{"async": True})
    async with EventWatch(client) as watch:
        response = await client.post("/api/video/generate", json=body)
        assert response.status_code == 202 and response.json() == {"requestId": body["requestId"]}
        frames = await watch.job(body["requestId"])
    names = [f.event for f in frames]
    assert_video_order(names)
    assert names[-1] == "done"
    stored_video(stack, frames[-1].data["filename"])


async def test_image_to_video_sends_the_source_image(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    prompt = unique("the dancer turns")
    source = png_data_url(64, 36)
    done = await generate_done(client, video_body(prompt=prompt, sourceImage=source))
    assert done["video"]["mode"] == "image-to-video"
    [submit] = await submits_of(sandbox, prompt)
    assert submit["json"]["image"]["url"] == source and "reference_images" not in submit["json"]
    assert "aspect_ratio" not in submit["json"]  # auto is omitted; xAI follows the image (16:9 here)
    saved = stored_video(stack, done["filename"])
    assert (saved.probe.width, saved.probe.height) == SIZES_480P["16:9"]

    # a generated image as the source, by name: the sidecar names it
    image = await client.post("/api/generate", json={"prompt": "a still", "provider": "grok-api"})
    assert image.status_code == 200, image.text
    name = image.json()["filename"]
    prompt2 = unique("from a generated image")
    done2 = await generate_done(client, video_body(prompt=prompt2, sourceFilename=name))
    assert done2["video"]["sourceImageFilename"] == name and done2["video"]["mode"] == "image-to-video"
    [submit2] = await submits_of(sandbox, prompt2)
    assert submit2["json"]["image"]["url"].startswith(("data:image/", "<b64:"))


async def test_reference_to_video_clamps_duration(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    prompt = unique("two characters meet")
    refs = [png_data_url(40, 40), png_data_url(48, 48)]
    image = await client.post("/api/generate", json={"prompt": "a character sheet", "provider": "grok-api"})
    assert image.status_code == 200, image.text
    body = video_body(
        prompt=prompt,
        referenceImages=refs,
        referenceFilenames=[image.json()["filename"]],
        duration=12,
        aspectRatio="1:1",
    )
    done = await generate_done(client, body)
    assert done["video"]["mode"] == "reference-to-video" and done["video"]["duration"] == 10
    [submit] = await submits_of(sandbox, prompt)
    assert len(submit["json"]["reference_images"]) == 3 and "image" not in submit["json"]
    assert [r["url"] for r in submit["json"]["reference_images"][:2]] == refs
    assert submit["json"]["duration"] == limits.VIDEO_R2V_MAX_DURATION
    saved = stored_video(stack, done["filename"])
    assert (
        abs(saved.probe.duration - 10) < 0.3 and (saved.probe.width, saved.probe.height) == SIZES_480P["1:1"]
    )


async def test_planner_sees_mode_duration_and_images(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    prompt = unique("planner check")
    await generate_done(
        client, video_body(prompt=prompt, sourceImage=png_data_url(), duration=4, resolution="720p")
    )
    chats = [
        c
        for c in await video_calls(sandbox, "/chat/completions")
        if prompt in str(c["json"]["messages"][1]["content"][0]["text"])
    ]
    [chat] = chats
    sent = chat["json"]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "generate_video"}}
    assert sent["tools"][0]["function"]["name"] == "generate_video"
    text = sent["messages"][1]["content"][0]["text"]
    assert "Mode: image-to-video" in text and "Duration: 4 seconds" in text and "720p" in text
    assert sent["messages"][1]["content"][1]["type"] == "image_url"
    searches = [c for c in await video_calls(sandbox, "/responses") if prompt in str(c["json"].get("input"))]
    assert len(searches) == 1 and searches[0]["json"]["tools"] == [{"type": "web_search"}]


async def test_fallback_to_the_base_model_when_15_is_refused(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    prompt = unique("fallback")
    await sandbox_settings(sandbox, xaiVideo15RejectsT2V=True)
    try:
        result = await sse_post(
            client, "/api/video/generate", video_body(prompt=prompt, model="grok-imagine-video-1.5-preview")
        )
    finally:
        await sandbox_settings(sandbox, xaiVideo15RejectsT2V=False)
    submitted = result.events("submitted")[0].data
    fallback = {"from": "grok-imagine-video-1.5-preview", "to": "grok-imagine-video"}
    assert submitted["requestedModel"] == "grok-imagine-video-1.5-preview"
    assert submitted["effectiveModel"] == "grok-imagine-video" and submitted["modelFallback"] == fallback
    done = result.last.data
    assert result.last.event == "done" and done["modelFallback"] == fallback
    assert done["effectiveModel"] == "grok-imagine-video"
    assert [s["json"]["model"] for s in await submits_of(sandbox, prompt)] == [
        "grok-imagine-video-1.5-preview",
        "grok-imagine-video",
    ]
    assert stored_video(stack, done["filename"]).sidecar["modelFallback"] == fallback


async def test_15_model_is_used_when_accepted(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    prompt = unique("one point five")
    done = await generate_done(client, video_body(prompt=prompt, model="grok-imagine-video-1.5-preview"))
    assert done["effectiveModel"] == "grok-imagine-video-1.5-preview" and done["modelFallback"] is None
    assert [s["json"]["model"] for s in await submits_of(sandbox, prompt)] == [
        "grok-imagine-video-1.5-preview"
    ]


async def test_storyboard_trims_the_lead_in(client: httpx.AsyncClient, stack: RunningStack) -> None:
    done = await generate_done(client, video_body(prompt=unique("storyboard"), duration=3, storyboard=True))
    saved = stored_video(stack, done["filename"])
    assert abs(saved.probe.duration - (3 - limits.VIDEO_STORYBOARD_TRIM_SECONDS)) < 0.35
    assert saved.sidecar["storyboard"] is True


async def test_history_filter_and_inflight_kind(client: httpx.AsyncClient) -> None:
    body = video_body(prompt=unique("inflight"))
    done = await generate_done(client, body)
    job = await terminal_job(client, body["requestId"])
    assert job["status"] == "completed" and job["kind"] == "video"
    listed = (await client.get("/api/inflight", params={"kind": "image", "includeTerminal": "1"})).json()
    assert body["requestId"] not in {j["requestId"] for j in listed["terminalJobs"]}
    rows = await history_rows(client, requestId=body["requestId"])
    assert [r["filename"] for r in rows] == [done["filename"]]


async def test_prompts_and_media_never_reach_the_logs(client: httpx.AsyncClient, stack: RunningStack) -> None:
    prompt = unique("okapi-marimba-secret")
    source = png_data_url(30, 30)
    done = await generate_done(client, video_body(prompt=prompt, sourceImage=source))
    edited = await client.post(
        "/api/video/edit", json={"prompt": prompt + " edit", "videoUrl": done["filename"]}
    )
    assert edited.status_code == 200
    marker = prompt.split()[-1]
    payload = source.split(",", 1)[1][:40]
    logs = stack.logs()
    for part in ("gateway.log", "svc-video.log", "svc-library.log"):
        assert marker not in logs[part] and "okapi-marimba" not in logs[part], part
        assert payload not in logs[part] and "data:image" not in logs[part] and "data:video" not in logs[part]
    # the job's own lines are there, so their silence about the prompt means something
    assert done["requestId"] in logs["svc-video.log"] and "xai video call" in logs["svc-video.log"]


async def test_planner_model_follows_the_shared_setting_and_the_override(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    async def models_used(marker: str) -> set[str]:
        calls = await video_calls(sandbox, "/chat/completions") + await video_calls(sandbox, "/responses")
        return {c["json"]["model"] for c in calls if marker in str(c["json"])}

    changed = await client.patch("/api/config/grok-planner", json={"model": "grok-4"})
    assert changed.status_code == 200, changed.text
    try:
        prompt = unique("shared planner")
        await generate_done(client, video_body(prompt=prompt))
        assert await models_used(prompt) == {"grok-4"}
    finally:
        await client.patch("/api/config/grok-planner", json={"model": "grok-4.3"})
    prompt = unique("override planner")
    await generate_done(client, video_body(prompt=prompt, plannerModel="grok-4"))
    assert await models_used(prompt) == {"grok-4"}
    prompt = unique("default planner")
    await generate_done(client, video_body(prompt=prompt))
    assert await models_used(prompt) == {"grok-4.3"}
