"""POST /api/generate: n independent images, keeping the partial successes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from ima2_image.jobs_common import (
    JobDeps,
    JobInfo,
    Prompt,
    StoredFiles,
    build_prompt,
    generate_images,
    guarded,
    image_entry,
    make_call,
)
from ima2_image.providers.base import ImageProvider
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, image_pb2


class ClassicJobs:
    def __init__(self, deps: JobDeps) -> None:
        self.deps = deps

    async def generate(self, request: image_pb2.GenerateRequest) -> AsyncIterator[common_pb2.JobEvent]:
        options = request.options
        provider = await self.deps.provider(options.provider)
        count = max(1, request.n or 1)
        refs = list(options.references)
        info = JobInfo(
            "classic", options, Prompt.plain(request.prompt), len(refs), options.web_search_enabled
        )

        async def body(job: Job, files: StoredFiles) -> dict[str, Any]:
            info.prompt = await build_prompt(self.deps.library, options, request.prompt)
            return await self._run(job, files, provider, info, refs, count)

        meta = info.inflight_meta(n=count)
        work = guarded(self.deps.library, body)
        async for event in self.deps.runner.run(
            options.request_id, "classic", meta, work, options.async_mode
        ):
            yield event

    async def _run(
        self,
        job: Job,
        files: StoredFiles,
        provider: ImageProvider,
        info: JobInfo,
        refs: list[str],
        count: int,
    ) -> dict[str, Any]:
        started = time.monotonic()
        await job.phase("streaming")
        call = make_call(
            info.options,
            info.prompt,
            references=refs,
            planner_model=await self.deps.planner_model(info.options.provider),
            count=count,
        )

        result = await generate_images(job, provider, call)
        job.raise_if_canceled()
        elapsed = round(time.monotonic() - started, 3)
        saved = []
        for index, image in enumerate(result.images[:count]):
            metadata = info.metadata(
                job,
                revisedPrompt=image.revised_prompt,
                usage=result.usage,
                webSearchCalls=result.web_search_calls,
                elapsed=elapsed,
            )
            item = await files.save(image, kind="classic", index=index, metadata=metadata)
            saved.append((image, item))
        warnings = [*result.warnings]
        if result.failures:
            warnings.append(f"{len(result.failures)} of {count} images failed")
        common = {
            **info.common(job, elapsed, result.usage, result.web_search_calls),
            "warnings": warnings,
        }
        if count == 1:
            image, item = saved[0]
            return {**image_entry(image, item), **common}
        return {"images": [image_entry(image, item) for image, item in saved], "count": len(saved), **common}
