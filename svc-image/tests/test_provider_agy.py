"""agy against the sandbox's fake Antigravity CLI (`ima2-sandbox-agy`), run as a real child process.

Each test gets its own HOME and TMPDIR; the fake reads its scenario from `$HOME/.ima2-sandbox-agy.json`
and writes what it saw (argv, prompt, environment names) to `$HOME/.ima2-sandbox-agy.last.json`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from image_testkit import Collected, dimensions, image_b64, make_call

from ima2_common.errors import Ima2Error
from ima2_image.providers.agy import ENV_KEYS, AgyImageProvider

FAKE_AGY = Path(sys.executable).parent / "ima2-sandbox-agy"
MakeAgy = Callable[..., AgyImageProvider]


class Box:
    """A HOME and a TMPDIR of their own, and the environment the provider starts from."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.tmp = root / "tmp"
        self.home.mkdir()
        self.tmp.mkdir()
        self.environ = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "LANG": "C.UTF-8",
            "OPENAI_API_KEY": "sk-must-not-leak",
            "IMA2_SECRET_THING": "must-not-leak",
        }

    def scenario(self, name: str, **extra: Any) -> None:
        (self.home / ".ima2-sandbox-agy.json").write_text(json.dumps({"scenario": name, **extra}))

    def last(self) -> dict[str, Any]:
        run: dict[str, Any] = json.loads((self.home / ".ima2-sandbox-agy.last.json").read_text())
        return run

    def ran(self) -> bool:
        return (self.home / ".ima2-sandbox-agy.last.json").exists()

    def children(self) -> list[int]:
        """Live processes whose environment has this HOME (the fake agy and anything it started)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().split(") ", 1)[1][0]
            except (OSError, IndexError):
                continue
            if f"HOME={self.home}".encode() in environ and state != "Z":
                found.append(int(entry.name))
        return found


@pytest.fixture
def box(tmp_path: Path) -> Box:
    if not FAKE_AGY.exists():
        pytest.fail(f"the sandbox's fake agy is not installed at {FAKE_AGY}")
    return Box(tmp_path)


@pytest.fixture
def agy(box: Box) -> MakeAgy:
    def make(**knobs: Any) -> AgyImageProvider:
        options: dict[str, Any] = {"environ": box.environ}
        options.update(knobs)
        return AgyImageProvider(str(FAKE_AGY), options.pop("timeout", 30.0), **options)

    return make


async def expect_error(provider: AgyImageProvider, code: str, status: int, **call: Any) -> Ima2Error:
    with pytest.raises(Ima2Error) as caught:
        await provider.generate(make_call(**call))
    assert (caught.value.code, caught.value.status) == (code, status)
    return caught.value


async def wait_until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_generates_with_a_minimal_environment(agy: MakeAgy, box: Box) -> None:
    result = await agy().generate(make_call(prompt='a lighthouse "at dusk"'))
    image = result.images[0]
    assert image.mime == "image/jpeg" and dimensions(image.data) == (1024, 1024)
    assert result.usage == {"agy_artifact_bytes": len(image.data)} and result.web_search_calls == 0
    seen = box.last()
    assert seen["argv"] == ["-p", "-"]
    assert set(seen["envKeys"]) - {"LC_CTYPE"} <= set(ENV_KEYS)
    assert {"PATH", "HOME", "TMPDIR", "LANG"} <= set(seen["envKeys"])
    assert "OPENAI_API_KEY" not in seen["envKeys"] and "IMA2_SECRET_THING" not in seen["envKeys"]
    prompt = seen["prompt"]
    assert "default_api:generate_image" in prompt and 'Prompt: "a lighthouse \\"at dusk\\""' in prompt
    assert "ImagePaths: []" in prompt and "RESULT|" in prompt and "1024x1024" in prompt
    brain = box.home / ".gemini" / "antigravity-cli" / "brain"
    assert list(brain.iterdir()) == []  # the artifact and its folder were removed after reading


async def test_references_go_through_a_temp_folder(agy: MakeAgy, box: Box) -> None:
    references = [image_b64("PNG"), image_b64("JPEG", data_url=True)]
    await agy().generate(make_call(references=references, edit=True))
    prompt = box.last()["prompt"]
    paths = json.loads(prompt.split("ImagePaths: ", 1)[1].split("\n", 1)[0])
    assert [Path(p).name for p in paths] == ["ref_0.png", "ref_1.jpg"]
    folder = Path(paths[0]).parent
    assert folder.parent == box.tmp and folder.name.startswith("ima2-agy-refs-")
    assert len(folder.name) == len("ima2-agy-refs-") + 16 and int(folder.name[-16:], 16) >= 0
    assert not folder.exists()  # cleaned up


async def test_multimode_returns_one_image(agy: MakeAgy, box: Box) -> None:
    seen = Collected()
    result = await agy().generate(make_call(max_images=4, on_image=seen.on_image))
    assert len(result.images) == 1 and [i for i, _ in seen.images] == [0]


@pytest.mark.parametrize("scenario", ["saved-path", "prose-path"])
async def test_other_ways_of_naming_the_artifact(agy: MakeAgy, box: Box, scenario: str) -> None:
    box.scenario(scenario)
    result = await agy().generate(make_call())
    assert result.images[0].mime == "image/jpeg"


async def test_artifacts_in_the_temp_dir_are_accepted(agy: MakeAgy, box: Box) -> None:
    box.scenario("ok", location="tmp")
    result = await agy().generate(make_call())
    assert len(result.images) == 1 and list(box.tmp.iterdir()) == []


async def test_recent_artifact_found_when_agy_prints_nothing(agy: MakeAgy, box: Box) -> None:
    box.scenario("no-output")
    artifact = box.home / ".gemini" / "antigravity-cli" / "brain" / "run-1" / "ima2_generated.png"
    artifact.parent.mkdir(parents=True)
    artifact.write_bytes(base64.b64decode(image_b64("PNG")))
    result = await agy().generate(make_call())
    assert result.images[0].mime == "image/png" and not artifact.exists()


async def test_rejections_before_spawning(agy: MakeAgy, box: Box) -> None:
    await expect_error(agy(), "AGY_MASK_UNSUPPORTED", 400, mask=image_b64(), edit=True)
    await expect_error(agy(), "AGY_REF_TOO_MANY", 400, references=[image_b64()] * 4)
    assert not box.ran()


@pytest.mark.parametrize(
    ("scenario", "code", "status"),
    [
        ("quota", "AGY_QUOTA_EXHAUSTED", 429),
        ("error", "AGY_GENERATION_FAILED", 502),
        ("no-output", "AGY_PARSE_FAILED", 502),
        ("malformed", "AGY_MALFORMED_RESULT", 502),
        ("outside-path", "AGY_PATH_REJECTED", 502),
        ("missing-artifact", "AGY_ARTIFACT_NOT_FOUND", 502),
        ("crash", "AGY_PROCESS_ERROR", 502),
    ],
)
async def test_scenarios(agy: MakeAgy, box: Box, scenario: str, code: str, status: int) -> None:
    box.scenario(scenario)
    await expect_error(agy(), code, status)
    assert box.last()["scenario"] == scenario


async def test_a_symlinked_gemini_folder_pointing_outside_is_rejected(agy: MakeAgy, box: Box) -> None:
    outside = box.home / "elsewhere"
    outside.mkdir()
    (box.home / ".gemini").symlink_to(outside)
    await expect_error(agy(), "AGY_PATH_REJECTED", 502)


async def test_artifact_too_large(agy: MakeAgy, box: Box) -> None:
    await expect_error(agy(artifact_max_bytes=1024), "AGY_ARTIFACT_TOO_LARGE", 502)


async def test_missing_binary(box: Box) -> None:
    if shutil.which("agy", path=box.environ["PATH"]):
        pytest.skip("a real agy is installed on this machine")
    provider = AgyImageProvider(str(box.home / "no-such-agy"), 30.0, environ=box.environ)
    with pytest.raises(Ima2Error) as caught:
        await provider.generate(make_call())
    assert (caught.value.code, caught.value.status, caught.value.upstream_type) == (
        "AGY_PROCESS_ERROR",
        502,
        "ENOENT",
    )
    assert await provider.version() is None


async def test_timeout_kills_the_child(agy: MakeAgy, box: Box) -> None:
    box.scenario("hang")
    await expect_error(agy(timeout=1.0), "AGY_TIMEOUT", 504)
    await wait_until(lambda: not box.children())


async def test_cancel_kills_a_child_that_ignores_sigterm(agy: MakeAgy, box: Box) -> None:
    box.scenario("hang", ignoreTerm=True)
    task = asyncio.create_task(agy().generate(make_call()))
    await wait_until(box.ran)  # the fake has read its prompt and now ignores SIGTERM
    await wait_until(lambda: bool(box.children()))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: not box.children())
