"""continueFromVideo: the parent's sidecar is the lineage authority, its last frame is the
image-to-video source, and videoContinuity keeps the start plus the latest three clips."""

from __future__ import annotations

import httpx

from tests.image_support import history_rows
from tests.stackctl import RunningStack
from tests.video_support import generate_done, stored_video, submits_of, unique, video_body, video_calls

BOGUS_HINT = {
    "lineageId": "lineage:forged",
    "entries": [{"id": "clip:forged.mp4", "filename": "forged.mp4", "revisedPrompt": "forged prompt"}],
}


async def _continue(client: httpx.AsyncClient, parent: str, prompt: str) -> dict:
    body = video_body(prompt=prompt, continueFromVideo=parent, continuityLineage=BOGUS_HINT)
    return await generate_done(client, body)


async def test_lineage_across_continues(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    start = await generate_done(client, video_body(prompt=unique("opening"), aspectRatio="9:16"))
    clips = [start]
    for step in range(1, 5):
        prompt = unique(f"continuation {step}")
        child = await _continue(client, clips[-1]["filename"], prompt)
        parent = clips[-1]
        lineage = child["videoContinuity"]
        # the parent's sidecar wins over the client's hint
        assert lineage["lineageId"] == "lineage:" + start["filename"].removesuffix(".mp4")
        assert "forged" not in str(lineage)
        assert lineage["parentFilename"] == parent["filename"] and lineage["sourceFrame"] == "last"
        assert lineage["maxEntries"] == 4 and lineage["retention"] == "keep-start-plus-latest-3"
        assert child["video"]["mode"] == "image-to-video"
        assert child["video"]["continueFromVideo"] == parent["filename"]
        # the last frame went up as the I2V image; the clip keeps the parent's 9:16 frame
        [submit] = await submits_of(sandbox, prompt)
        assert submit["json"]["image"]["url"].startswith(("data:image/png;base64,", "<b64:"))
        saved = stored_video(stack, child["filename"])
        assert (saved.probe.width, saved.probe.height) == (480, 852)
        assert saved.sidecar["videoContinuity"] == lineage
        # the planner read the lineage: the parent's revised prompt and the continue rule
        [chat] = [
            c
            for c in await video_calls(sandbox, "/chat/completions")
            if prompt in c["json"]["messages"][1]["content"][0]["text"]
        ]
        text = chat["json"]["messages"][1]["content"][0]["text"]
        assert parent["revisedPrompt"] in text and "Do not restart the scene" in text
        clips.append(child)

    # after three continues: start, ancestor, parent, current
    third = clips[3]["videoContinuity"]["entries"]
    assert [e["filename"] for e in third] == [c["filename"] for c in clips[:4]]
    assert [e["role"] for e in third] == ["start", "ancestor", "parent", "current"]
    assert [e["ordinal"] for e in third] == [1, 2, 3, 4]
    assert [e["revisedPrompt"] for e in third] == [c["revisedPrompt"] for c in clips[:4]]
    assert third[0]["userPrompt"] == stored_video(stack, start["filename"]).sidecar["userPrompt"]
    # a fourth: the start anchor stays, the oldest middle clip goes
    fourth = clips[4]["videoContinuity"]["entries"]
    assert [e["filename"] for e in fourth] == [clips[0]["filename"], *[c["filename"] for c in clips[2:5]]]
    assert [e["role"] for e in fourth] == ["start", "ancestor", "parent", "current"]
    # history rows carry the same lineage
    rows = {r["filename"]: r for r in await history_rows(client)}
    assert rows[clips[4]["filename"]]["videoContinuity"] == clips[4]["videoContinuity"]


async def test_client_hint_is_used_without_continue(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    prompt = unique("hinted")
    done = await generate_done(client, video_body(prompt=prompt, continuityLineage=BOGUS_HINT))
    lineage = done["videoContinuity"]
    assert lineage["lineageId"] == "lineage:forged"
    assert [e["role"] for e in lineage["entries"]] == ["start", "current"]
    assert lineage["entries"][0]["revisedPrompt"] == "forged prompt"
    assert done["video"]["mode"] == "text-to-video"
    [submit] = await submits_of(sandbox, prompt)
    assert "image" not in submit["json"]


async def test_explicit_source_wins_over_the_last_frame(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    from tests.video_support import png_data_url

    parent = await generate_done(client, video_body(prompt=unique("parent")))
    prompt = unique("own source")
    source = png_data_url(50, 50)
    child = await generate_done(
        client, video_body(prompt=prompt, continueFromVideo=parent["filename"], sourceImage=source)
    )
    [submit] = await submits_of(sandbox, prompt)
    assert submit["json"]["image"]["url"] == f"<b64:{len(source)} chars>"  # the request log shrinks it
    assert child["videoContinuity"]["parentFilename"] == parent["filename"]


async def test_continue_on_the_grok_lane(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    parent = await generate_done(client, video_body(prompt=unique("grok parent"), provider="grok"))
    prompt = unique("grok child")
    child = await generate_done(
        client, video_body(prompt=prompt, provider="grok", continueFromVideo=parent["filename"])
    )
    assert [e["filename"] for e in child["videoContinuity"]["entries"]] == [
        parent["filename"],
        child["filename"],
    ]
    assert [e["role"] for e in child["videoContinuity"]["entries"]] == ["start", "current"]
    [submit] = await submits_of(sandbox, prompt)
    assert submit["upstream"] == "progrok" and "image" in submit["json"]
