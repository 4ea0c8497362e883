"""POST /api/edit: one image edited (optionally mask-guided), references after it."""

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
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, image_pb2


class EditJobs:
    def __init__(self, deps: JobDeps) -> None:
        self.deps = deps

    async def edit(self, request: image_pb2.EditRequest) -> AsyncIterator[common_pb2.JobEvent]:
        options = request.options
        provider = await self.deps.provider(options.provider)
        refs = list(options.references)
        mask = request.mask if request.HasField("mask") and request.mask else None
        info = JobInfo(
            "edit",
            options,
            Prompt.plain(request.prompt),
            len(refs),
            options.web_search_enabled,
            extra={"maskUsed": True} if mask else {},
        )

        async def body(job: Job, files: StoredFiles) -> dict[str, Any]:
            started = time.monotonic()
            info.prompt = await build_prompt(self.deps.library, options, request.prompt)
            await job.phase("streaming")
            call = make_call(
                options,
                info.prompt,
                references=[request.image, *refs],
                planner_model=await self.deps.planner_model(options.provider),
                edit=True,
                direct_edit=True,
                mask=mask,
            )

            result = await generate_images(job, provider, call)
            elapsed = round(time.monotonic() - started, 3)
            image = result.images[0]
            metadata = info.metadata(
                job,
                revisedPrompt=image.revised_prompt,
                usage=result.usage,
                webSearchCalls=result.web_search_calls,
                elapsed=elapsed,
            )
            item = await files.save(image, kind="edit", index=0, metadata=metadata)
            return {
                **image_entry(image, item),
                **info.common(job, elapsed, result.usage, result.web_search_calls),
                "refsCount": len(refs),
                "warnings": list(result.warnings),
            }

        meta = info.inflight_meta(hasMask=bool(mask))
        work = guarded(self.deps.library, body)
        async for event in self.deps.runner.run(options.request_id, "edit", meta, work, options.async_mode):
            yield event
