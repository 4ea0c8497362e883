"""Image jobs: run a provider, keep partial successes, hand the bytes to svc-library, shape the result."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.job_runner import Job, JobRunner
from ima2_common.jobs import now_ms
from ima2_common.media import to_data_url
from ima2_common.structs import dict_to_struct
from ima2_image.providers.base import GeneratedImage, ImageCall, ImageProvider
from ima2_image.providers.registry import ProviderRegistry
from ima2_proto.v1 import common_pb2, image_pb2, library_pb2

STORYBOARD_PREFIX = (
    "Storyboard keyframe: keep the same characters, wardrobe, props and setting as the rest of the "
    "sequence so consecutive shots stay continuous. "
)


class ImageJobs:
    def __init__(self, runner: JobRunner, library: ServiceClient, providers: ProviderRegistry) -> None:
        self.runner = runner
        self.library = library
        self.providers = providers

    async def generate(self, request: image_pb2.GenerateRequest) -> AsyncIterator[common_pb2.JobEvent]:
        options = request.options
        provider = self.providers.create(options.provider)
        await provider.check_ready()
        count = max(1, request.n or 1)
        prompt = (STORYBOARD_PREFIX if options.storyboard else "") + request.prompt
        call = ImageCall(
            prompt=prompt,
            model=options.model,
            quality=options.quality,
            size=options.size,
            format=options.format,
            moderation=options.moderation,
            reasoning_effort=options.reasoning_effort,
            references=list(options.references),
            web_search=options.web_search_enabled,
            prompt_mode=options.mode or "auto",
            count=count,
        )
        meta = {
            "model": options.model,
            "provider": options.provider,
            "size": options.size,
            "quality": options.quality,
            "n": count,
            "refsCount": len(options.references),
            "sessionId": options.session_id or None,
            "clientNodeId": options.client_node_id or None,
            "promptChars": len(request.prompt),
        }

        async def work(job: Job) -> dict[str, Any]:
            return await self._run_classic(job, provider, call, options, request.prompt, count)

        async for event in self.runner.run(options.request_id, "classic", meta, work, options.async_mode):
            yield event

    async def _run_classic(
        self,
        job: Job,
        provider: ImageProvider,
        call: ImageCall,
        options: image_pb2.ImageJobOptions,
        user_prompt: str,
        count: int,
    ) -> dict[str, Any]:
        started = time.monotonic()
        await job.phase("streaming")

        async def on_partial(image: str, index: int) -> None:
            await job.emit(events.PARTIAL, {"image": image, "index": index})

        call.on_partial = on_partial
        result = await provider.generate(call)
        if not result.images:
            raise Ima2Error("EMPTY_RESPONSE")
        await job.phase("decoding")
        job.raise_if_canceled()
        elapsed = round(time.monotonic() - started, 3)
        usage = result.usage
        web_search_calls = result.web_search_calls
        base_meta = {
            "kind": "classic",
            "requestId": job.request_id,
            "sessionId": options.session_id or None,
            "clientNodeId": options.client_node_id or None,
            "prompt": user_prompt,
            "userPrompt": user_prompt,
            "promptMode": options.mode or "auto",
            "quality": options.quality,
            "size": options.size,
            "format": options.format,
            "moderation": options.moderation,
            "model": options.model,
            "provider": options.provider,
            "webSearchCalls": web_search_calls,
            "webSearchEnabled": options.web_search_enabled,
            "refsCount": len(options.references),
            "storyboard": options.storyboard or None,
            "elapsed": elapsed,
        }
        images = result.images[:count]
        saved = []
        for index, image in enumerate(images):
            item = await self._save(
                job, image, index, {**base_meta, "revisedPrompt": image.revised_prompt, "usage": usage}
            )
            saved.append((image, item))
        warnings = [*result.warnings]
        if result.failures:
            warnings.append(f"{len(result.failures)} of {count} images failed")
        common = {
            "elapsed": elapsed,
            "requestId": job.request_id,
            "usage": usage,
            "provider": options.provider,
            "reasoningEffort": options.reasoning_effort,
            "webSearchCalls": web_search_calls,
            "quality": options.quality,
            "size": options.size,
            "moderation": options.moderation,
            "model": options.model,
            "warnings": warnings,
            "promptMode": options.mode or "auto",
            "webSearchEnabled": options.web_search_enabled,
        }
        if count == 1:
            image, item = saved[0]
            return {**_image_entry(image, item), **common}
        return {"images": [_image_entry(image, item) for image, item in saved], "count": len(saved), **common}

    async def _save(
        self, job: Job, image: GeneratedImage, index: int, metadata: dict[str, Any]
    ) -> library_pb2.MediaItem:
        job.raise_if_canceled()
        request = library_pb2.SaveMediaRequest(
            data=image.data,
            mime=image.mime,
            kind="classic",
            index=index,
            metadata=dict_to_struct(metadata),
            request_id=job.request_id,
        )
        return await self.library.call("SaveMedia", request, timeout=60)


def _image_entry(image: GeneratedImage, item: library_pb2.MediaItem) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "image": to_data_url(image.data, image.mime),
        "filename": item.filename,
        "url": item.url,
        "revisedPrompt": image.revised_prompt,
        "createdAt": item.created_at or now_ms(),
    }
    if item.thumb:
        entry["thumb"] = item.thumb
    if image.provider_url:
        entry["providerUrl"] = image.provider_url
    return entry
