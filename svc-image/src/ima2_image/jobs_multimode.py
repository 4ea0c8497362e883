"""POST /api/generate/multimode: up to maxImages images of one sequence from one provider call.

Each image is saved and sent as an `image` event as soon as the provider hands it over. The
sequence has a time budget (IMA2_MULTIMODE_TIMEOUT_SECONDS): when it runs out, or the upstream
fails midway, the images already saved are kept and `done` says `status: "partial"`.
An `image` event carries the totals known when it is sent (`sequenceStatus: "streaming"`);
`done` lists every saved item (without its base64) with the final totals and status.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from ima2_common import events, limits
from ima2_common.errors import Ima2Error
from ima2_common.job_events import ImageEvent
from ima2_image.jobs_common import (
    JobDeps,
    JobInfo,
    Prompt,
    StoredFiles,
    build_prompt,
    guarded,
    image_entry,
    make_call,
)
from ima2_image.providers.base import GeneratedImage, ProviderResult
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, image_pb2

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(value: int) -> str:
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = DIGITS[rest] + out
        if not value:
            return out


def new_sequence_id() -> str:
    return f"seq_{_base36(int(time.time() * 1000))}_{secrets.token_hex(4)}"


class Sequence:
    """The images of one sequence as they are saved and announced."""

    def __init__(self, job: Job, files: StoredFiles, info: JobInfo, sequence_id: str, wanted: int) -> None:
        self.job = job
        self.files = files
        self.info = info
        self.sequence_id = sequence_id
        self.wanted = wanted
        self.started = time.monotonic()
        self.items: list[dict[str, Any]] = []
        self.usage: dict[str, Any] = {}
        self.web_search_calls = 0
        self._seen: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def fields(self, index: int, status: str) -> dict[str, Any]:
        return {
            "sequenceId": self.sequence_id,
            "sequenceIndex": index,
            "sequenceTotalRequested": self.wanted,
            "sequenceTotalReturned": len(self.items),
            "sequenceStatus": status,
        }

    def accept(self, image: GeneratedImage) -> asyncio.Task[None] | None:
        """Start saving `image` once (a provider may also return it at the end)."""
        if id(image) in self._seen or len(self._seen) >= self.wanted:
            return None
        self._seen.add(id(image))
        task = asyncio.create_task(self._persist(image, len(self._seen) - 1))
        self._tasks.append(task)
        return task

    async def _persist(self, image: GeneratedImage, index: int) -> None:
        elapsed = round(time.monotonic() - self.started, 3)
        metadata = self.info.metadata(
            self.job,
            revisedPrompt=image.revised_prompt,
            elapsed=elapsed,
            sequenceId=self.sequence_id,
            sequenceIndex=index,
            sequenceTotalRequested=self.wanted,
        )
        item = await self.files.save(image, kind="multimode", index=index, metadata=metadata)
        entry = {**image_entry(image, item), "index": index, "elapsed": elapsed}
        self.items.append(entry)
        common = {
            "requestId": self.job.request_id,
            "provider": self.info.options.provider,
            "model": self.info.options.model,
            "quality": self.info.options.quality,
            "size": self.info.options.size,
            "moderation": self.info.options.moderation,
        }
        await self.job.emit(ImageEvent(**entry, **common, **self.fields(index, "streaming")))

    async def settle(self) -> None:
        """Wait for every save that was started (they finish even when the provider call was cut)."""
        if self._tasks:
            await asyncio.gather(*self._tasks)


class MultimodeJobs:
    def __init__(self, deps: JobDeps) -> None:
        self.deps = deps

    async def generate(self, request: image_pb2.MultimodeRequest) -> AsyncIterator[common_pb2.JobEvent]:
        options = request.options
        provider = await self.deps.provider(options.provider)
        wanted = min(
            max(request.max_images or limits.DEFAULT_MULTIMODE_IMAGES, 1), limits.MAX_MULTIMODE_IMAGES
        )
        sequence_id = new_sequence_id()
        refs = list(options.references)
        info = JobInfo(
            "multimode", options, Prompt.plain(request.prompt), len(refs), options.web_search_enabled
        )
        timeout = self.deps.multimode_timeout_seconds

        async def body(job: Job, files: StoredFiles) -> dict[str, Any]:
            info.prompt = await build_prompt(self.deps.library, options, request.prompt)
            sequence = Sequence(job, files, info, sequence_id, wanted)
            await job.phase("streaming", sequenceId=sequence_id, maxImages=wanted)
            call = make_call(
                options,
                info.prompt,
                references=refs,
                planner_model=await self.deps.planner_model(options.provider),
                max_images=wanted,
            )

            async def on_partial(data: bytes, mime: str, index: int) -> None:
                await job.partial(data, mime, index)

            async def on_image(image: GeneratedImage, _index: int) -> None:
                task = sequence.accept(image)
                if task is not None:
                    await asyncio.shield(task)

            call.on_partial = on_partial
            call.on_image = on_image
            result: ProviderResult | None = None
            failure: Ima2Error | None = None
            try:
                result = await asyncio.wait_for(provider.generate(call), timeout)
            except TimeoutError:
                failure = Ima2Error("GENERATION_TIMEOUT", "The multimode sequence ran out of time.")
            except Ima2Error as err:
                failure = err
            if result is not None:
                sequence.usage, sequence.web_search_calls = result.usage, result.web_search_calls
                for image in result.images:
                    sequence.accept(image)
            await sequence.settle()
            if failure is not None and not sequence.items:
                raise failure
            return self._summary(job, info, sequence, result, failure)

        meta = info.inflight_meta(maxImages=wanted, sequenceId=sequence_id)
        work = guarded(self.deps.library, body)
        async for event in self.deps.runner.run(
            options.request_id, "multimode", meta, work, options.async_mode
        ):
            yield event

    @staticmethod
    def _summary(
        job: Job, info: JobInfo, sequence: Sequence, result: ProviderResult | None, failure: Ima2Error | None
    ) -> dict[str, Any]:
        status = "partial" if failure is not None else "complete" if sequence.items else "empty"
        items = sorted(sequence.items, key=lambda item: item["index"])
        images = [
            {
                **{k: v for k, v in item.items() if k != events.MEDIA_REF},
                **sequence.fields(item["index"], status),
            }
            for item in items
        ]
        for image in images:
            image["sequenceTotalReturned"] = len(images)
        warnings = list(result.warnings) if result is not None else []
        if failure is not None:
            warnings.append(f"{failure.code}: {len(images)} of {sequence.wanted} images were saved")
        elapsed = round(time.monotonic() - sequence.started, 3)
        summary = {
            **info.common(job, elapsed, sequence.usage, sequence.web_search_calls),
            "sequenceId": sequence.sequence_id,
            "status": status,
            "maxImages": sequence.wanted,
            "requested": sequence.wanted,
            "returned": len(images),
            "count": len(images),
            "images": images,
            "warnings": warnings,
        }
        if failure is not None:
            summary["errorCode"] = failure.code
        return summary
