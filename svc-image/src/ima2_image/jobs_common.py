"""What every image job shares: its services, the provider call, the session style sheet, saving
with cancel semantics, and the pieces of the result payloads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.inflight import now_ms
from ima2_common.logging import log_fields
from ima2_common.structs import dict_to_struct, struct_to_dict
from ima2_image.planner_config import PlannerConfigStore
from ima2_image.providers.base import GeneratedImage, ImageCall, ImageProvider, ProviderResult
from ima2_image.providers.registry import ProviderRegistry
from ima2_image.style_sheet import render_prefix
from ima2_jobs.runner import Job, JobRunner
from ima2_proto.v1 import image_pb2, library_pb2

log = logging.getLogger("ima2.image.jobs")

SAVE_TIMEOUT = 60.0
DISCARD_TIMEOUT = 30.0
STYLE_SHEET_TIMEOUT = 5.0
GROK_PROVIDERS = ("grok", "grok-api")
STORYBOARD_PREFIX = (
    "Storyboard keyframe: keep the same characters, wardrobe, props and setting as the rest of the "
    "sequence so consecutive shots stay continuous. "
)
# Style-sheet keys that describe the sheet itself rather than the look of the images.


@dataclass
class JobDeps:
    """The collaborators of every job kind, built once in server.py."""

    runner: JobRunner
    library: ServiceClient
    providers: ProviderRegistry
    planner: PlannerConfigStore
    multimode_timeout_seconds: float = 600.0

    async def provider(self, name: str) -> ImageProvider:
        """A ready provider: credential errors surface here, before any job is admitted."""
        provider = self.providers.create(name)
        await provider.check_ready()
        return provider

    async def planner_model(self, provider: str) -> str | None:
        return await self.planner.get() if provider in GROK_PROVIDERS else None


class StoredFiles:
    """The files one job has saved. A job that is canceled removes them all, so a result that
    arrives after a cancel never stays in history or on disk, even when the cancel lands while
    a save is in flight (the save is let finish, then deleted)."""

    def __init__(self, library: ServiceClient, job: Job) -> None:
        self.library = library
        self.job = job
        self.filenames: list[str] = []
        self._pending: set[asyncio.Task[library_pb2.MediaItem]] = set()
        self._discarded: set[str] = set()

    async def save(
        self,
        image: GeneratedImage,
        *,
        kind: str,
        index: int,
        metadata: dict[str, Any],
        filename: str = "",
    ) -> library_pb2.MediaItem:
        self.job.raise_if_canceled()
        request = library_pb2.SaveMediaRequest(
            data=image.data,
            mime=image.mime,
            kind=kind,
            index=index,
            filename=filename,
            metadata=dict_to_struct(metadata),
            request_id=self.job.request_id,
        )
        task = asyncio.create_task(self._store(request))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        item = await asyncio.shield(task)
        if self.job.canceled:
            await self.discard_all()
            raise asyncio.CancelledError
        return item

    async def _store(self, request: library_pb2.SaveMediaRequest) -> library_pb2.MediaItem:
        item = await self.library.call("SaveMedia", request, timeout=SAVE_TIMEOUT)
        self.filenames.append(item.filename)
        return item

    async def discard_all(self) -> None:
        """Let in-flight saves finish, then delete every file this job stored."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=SAVE_TIMEOUT)
        for filename in self.filenames:
            if filename in self._discarded:
                continue
            self._discarded.add(filename)
            try:
                await self.library.call(
                    "DeleteHistory",
                    library_pb2.DeleteHistoryRequest(filename=filename, permanent=True),
                    timeout=DISCARD_TIMEOUT,
                )
            except Ima2Error as err:
                log.warning("canceled result not removed", extra=log_fields(filename=filename, code=err.code))
            else:
                log.info("canceled result removed", extra=log_fields(filename=filename))


JobBody = Callable[[Job, StoredFiles], Awaitable[dict[str, Any]]]


def guarded(library: ServiceClient, body: JobBody) -> Callable[[Job], Awaitable[dict[str, Any]]]:
    """Wrap a job body so that a cancel (at any await) removes what the job had saved."""

    async def work(job: Job) -> dict[str, Any]:
        files = StoredFiles(library, job)
        try:
            return await body(job, files)
        except asyncio.CancelledError:
            await files.discard_all()
            raise

    return work


async def generate_images(
    job: Job, provider: ImageProvider, call: ImageCall, previews: bool = False
) -> ProviderResult:
    """Run the provider (with partial previews as `partial` events if asked); no image is an error."""

    async def on_partial(data: bytes, mime: str, index: int) -> None:
        await job.partial(data, mime, index)

    if previews:
        call.on_partial = on_partial
    result = await provider.generate(call)
    if not result.images:
        raise Ima2Error("EMPTY_RESPONSE")
    await job.phase("decoding")
    return result


# -- the prompt ---------------------------------------------------------------------------------


async def style_sheet_prefix(library: ServiceClient, session_id: str) -> str | None:
    """The session's enabled style sheet as a prompt prefix; None when there is none to apply."""
    if not session_id:
        return None
    try:
        sheet = await library.call(
            "GetStyleSheet", library_pb2.GetSessionRequest(id=session_id), timeout=STYLE_SHEET_TIMEOUT
        )
    except Ima2Error as err:  # no sheet, no session, or a library without style sheets: skip
        log.info("style sheet skipped", extra=log_fields(code=err.code))
        return None
    if not sheet.enabled or not sheet.HasField("style_sheet"):
        return None
    text = render_prefix(struct_to_dict(sheet.style_sheet))
    return f"{text} " if text else None


@dataclass
class Prompt:
    """The user's prompt and what goes upstream after the storyboard and style-sheet prefixes."""

    user: str
    effective: str
    style_sheet_applied: bool = False

    @classmethod
    def plain(cls, user: str) -> Prompt:
        return cls(user=user, effective=user)


async def build_prompt(library: ServiceClient, options: image_pb2.ImageJobOptions, user: str) -> Prompt:
    prefix = await style_sheet_prefix(library, options.session_id)
    effective = (STORYBOARD_PREFIX if options.storyboard else "") + user
    if prefix:
        effective = prefix + effective
    return Prompt(user=user, effective=effective, style_sheet_applied=prefix is not None)


def make_call(
    options: image_pb2.ImageJobOptions,
    prompt: Prompt,
    *,
    references: list[str],
    planner_model: str | None,
    edit: bool = False,
    direct_edit: bool = False,
    mask: str | None = None,
    count: int = 1,
    max_images: int = 1,
    web_search: bool | None = None,
) -> ImageCall:
    return ImageCall(
        prompt=prompt.effective,
        model=options.model,
        quality=options.quality,
        size=options.size,
        format=options.format,
        moderation=options.moderation,
        reasoning_effort=options.reasoning_effort,
        references=references,
        mask=mask,
        edit=edit,
        direct_edit=direct_edit,
        web_search=options.web_search_enabled if web_search is None else web_search,
        prompt_mode=options.mode or "auto",
        count=count,
        max_images=max_images,
        planner_model=planner_model,
    )


# -- metadata and results -----------------------------------------------------------------------


@dataclass
class JobInfo:
    """Per-job values that go into the sidecar and the result alike."""

    kind: str
    options: image_pb2.ImageJobOptions
    prompt: Prompt
    refs_count: int
    web_search_enabled: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def inflight_meta(self, **more: Any) -> dict[str, Any]:
        options = self.options
        return {
            "model": options.model,
            "provider": options.provider,
            "size": options.size,
            "quality": options.quality,
            "refsCount": self.refs_count,
            "sessionId": options.session_id or None,
            "clientNodeId": options.client_node_id or None,
            "promptChars": len(self.prompt.user),
            **more,
        }

    def metadata(self, job: Job, **more: Any) -> dict[str, Any]:
        """Sidecar (and embedded XMP) fields of one saved image."""
        options = self.options
        return {
            "kind": self.kind,
            "requestId": job.request_id,
            "sessionId": options.session_id or None,
            "clientNodeId": options.client_node_id or None,
            "prompt": self.prompt.user,
            "userPrompt": self.prompt.user,
            "promptMode": options.mode or "auto",
            "quality": options.quality,
            "size": options.size,
            "format": options.format,
            "moderation": options.moderation,
            "model": options.model,
            "provider": options.provider,
            "webSearchEnabled": self.web_search_enabled,
            "refsCount": self.refs_count,
            "storyboard": options.storyboard or None,
            "styleSheetApplied": self.prompt.style_sheet_applied or None,
            **self.extra,
            **more,
        }

    def common(
        self, job: Job, elapsed: float, usage: dict[str, Any], web_search_calls: int
    ) -> dict[str, Any]:
        """The fields every result payload carries next to its image(s)."""
        options = self.options
        body: dict[str, Any] = {
            "elapsed": elapsed,
            "requestId": job.request_id,
            "usage": usage,
            "provider": options.provider,
            "reasoningEffort": options.reasoning_effort,
            "webSearchCalls": web_search_calls,
            "webSearchEnabled": self.web_search_enabled,
            "quality": options.quality,
            "size": options.size,
            "moderation": options.moderation,
            "model": options.model,
            "promptMode": options.mode or "auto",
        }
        if options.session_id:
            body["sessionId"] = options.session_id
        if options.client_node_id:
            body["clientNodeId"] = options.client_node_id
        if self.prompt.style_sheet_applied:
            body["styleSheetApplied"] = True
        return body


def image_entry(image: GeneratedImage, item: library_pb2.MediaItem) -> dict[str, Any]:
    """A saved image as events carry it: a reference the gateway turns into the data URL."""
    entry: dict[str, Any] = {
        **events.stored_ref(item.filename, image.mime),
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
