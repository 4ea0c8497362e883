"""POST /api/node/generate: a root node, or a child that edits its parent's stored image.

The parent image (a stored node, or an `externalSrc` history file or data URL) goes first, then
the node's references, then the prompt. The saved file is named after the new node id.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.media import to_data_url
from ima2_common.structs import struct_to_dict
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
from ima2_proto.v1 import common_pb2, image_pb2, library_pb2

DEFAULT_CONTEXT_MODE = "parent-plus-refs"
DEFAULT_SEARCH_MODE = "auto"
GENERATED_PREFIX = "/generated/"


def new_node_id() -> str:
    return f"n_{secrets.token_hex(5)}"


@dataclass
class ParentImage:
    data_url: str
    source: str  # "parent" | "externalSrc"


async def _read_image(library: ServiceClient, filename: str) -> str:
    media = await library.call("ReadMedia", library_pb2.ReadMediaRequest(filename=filename))
    if not media.mime.startswith("image/"):
        raise Ima2Error("INVALID_REQUEST", "The source file is not an image.")
    return to_data_url(media.data, media.mime)


async def load_parent(library: ServiceClient, parent_node_id: str, external_src: str) -> ParentImage | None:
    """The image the new node edits: the stored parent node's file, else `externalSrc`."""
    if parent_node_id:
        node = await library.call("GetNode", library_pb2.GetNodeRequest(node_id=parent_node_id))
        meta = struct_to_dict(node.meta) if node.HasField("meta") else {}
        filename = str(meta.get("filename") or unquote(node.url.removeprefix(GENERATED_PREFIX)))
        try:
            return ParentImage(await _read_image(library, filename), "parent")
        except Ima2Error as err:
            if err.code == "ASSET_NOT_FOUND":
                raise Ima2Error("NODE_NOT_FOUND") from None
            raise
    if external_src.startswith("data:"):
        return ParentImage(external_src, "externalSrc")
    if external_src:
        return ParentImage(await _read_image(library, external_src), "externalSrc")
    return None


class NodeJobs:
    def __init__(self, deps: JobDeps) -> None:
        self.deps = deps

    async def generate(self, request: image_pb2.NodeGenerateRequest) -> AsyncIterator[common_pb2.JobEvent]:
        options = request.options
        provider = await self.deps.provider(options.provider)
        parent = await load_parent(self.deps.library, request.parent_node_id, request.external_src)
        context_mode = request.context_mode or DEFAULT_CONTEXT_MODE
        search_mode = request.search_mode or DEFAULT_SEARCH_MODE
        refs = [] if parent is not None and context_mode == "parent-only" else list(options.references)
        inputs = ([parent.data_url] if parent is not None else []) + refs
        web_search = search_mode == "on" or (search_mode == "auto" and options.web_search_enabled)
        node_id = new_node_id()
        parent_node_id = request.parent_node_id or None
        node_fields = {
            "nodeId": node_id,
            "parentNodeId": parent_node_id,
            "contextMode": context_mode,
            "searchMode": search_mode,
        }
        info = JobInfo(
            "node", options, Prompt.plain(request.prompt), len(refs), web_search, extra=node_fields
        )

        async def body(job: Job, files: StoredFiles) -> dict[str, Any]:
            started = time.monotonic()
            info.prompt = await build_prompt(self.deps.library, options, request.prompt)
            await job.phase("streaming")
            call = make_call(
                options,
                info.prompt,
                references=inputs,
                planner_model=await self.deps.planner_model(options.provider),
                edit=parent is not None,
                web_search=web_search,
            )

            result = await generate_images(job, provider, call, previews=True)
            elapsed = round(time.monotonic() - started, 3)
            image = result.images[0]
            metadata = info.metadata(
                job,
                revisedPrompt=image.revised_prompt,
                usage=result.usage,
                webSearchCalls=result.web_search_calls,
                elapsed=elapsed,
                parentSource=parent.source if parent is not None else None,
            )
            item = await files.save(image, kind="node", index=0, metadata=metadata, filename=node_id)
            return {
                "nodeId": node_id,
                "parentNodeId": parent_node_id,
                **image_entry(image, item),
                **info.common(job, elapsed, result.usage, result.web_search_calls),
                "refsCount": len(refs),
                "contextMode": context_mode,
                "searchMode": search_mode,
                "warnings": list(result.warnings),
            }

        meta = info.inflight_meta(nodeId=node_id, parentNodeId=parent_node_id)
        work = guarded(self.deps.library, body)
        async for event in self.deps.runner.run(options.request_id, "node", meta, work, options.async_mode):
            yield event
