"""Agent work: messages in (`submit`), queue items run as jobs of kind "agent" (`run_item`).

A queue item's status in the library follows its job: `running` once the job's work starts,
`succeeded` / `failed` / `canceled` when it ends (compare-and-set, so a late writer never undoes
an ending). A session's items start in the order they were queued, at most `parallelism` at once
across every replica (svc-library decides whose turn it is). A job whose worker died leaves its
item `running`; it is marked failed when the queue is read or when a later item waits behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from ima2_common import agent
from ima2_common.agent_items import settle_orphan
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import to_data_url
from ima2_image.agent.planner import AgentPlanner, Plan
from ima2_image.agent.store import AgentRecordsClient
from ima2_image.jobs_common import (
    JobDeps,
    JobInfo,
    Prompt,
    StoredFiles,
    generate_images,
    guarded,
    make_call,
)
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, image_pb2, library_pb2

log = logging.getLogger("ima2.image.agent")
TURN_CHECK_SECONDS = 1.0  # a waiting item looks again this often (another replica's item may end)


def now_ms() -> int:
    return int(time.time() * 1000)


def locked_prompt(prompt: str, session: dict[str, Any]) -> str:
    """The image prompt with the session's style and subject locks appended."""
    parts = [prompt.strip()]
    if session.get("subjectLocks"):
        parts.append("Keep the subject: " + "; ".join(session["subjectLocks"]) + ".")
    if session.get("styleLocks"):
        parts.append("Keep the style: " + "; ".join(session["styleLocks"]) + ".")
    return " ".join(parts)


def job_options(settings: dict[str, Any], request_id: str, web_search: bool) -> image_pb2.ImageJobOptions:
    return image_pb2.ImageJobOptions(
        request_id=request_id,
        provider=str(settings["provider"]),
        model=str(settings["model"]),
        quality=str(settings["quality"]),
        size=str(settings["size"]),
        format=str(settings["format"]),
        moderation=str(settings["moderation"]),
        reasoning_effort=str(settings["reasoningEffort"]),
        web_search_enabled=web_search,
        async_mode=True,
    )


class AgentRunner:
    def __init__(self, deps: JobDeps, records: AgentRecordsClient, planner: AgentPlanner) -> None:
        self.deps = deps
        self.records = records
        self.planner = planner
        self._item_ended = asyncio.Condition()  # an item of this replica ended: a turn may be free

    # -- messages

    async def submit(
        self, session_id: str, prompt: str, request_id: str, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Append the user's message; answer immediate commands; else queue an item (returned)."""
        text = prompt.strip()
        if not text:
            raise Ima2Error("AGENT_PROMPT_REQUIRED")
        if len(text) > agent.MAX_PROMPT_CHARS:
            raise Ima2Error(
                "AGENT_INVALID_SETTINGS", f"The message exceeds {agent.MAX_PROMPT_CHARS} characters."
            )
        session, turns = await self.records.session(session_id)
        command = agent.parse_command(text)
        settings = agent.settings_with(session["generationSettings"], options)
        if command is not None and command.name in ("generate", "edit", "variants") and not command.prompt:
            raise Ima2Error("AGENT_PROMPT_REQUIRED", f"/{command.name} needs a prompt.")
        if command is not None and command.name == "edit" and not session.get("currentImage"):
            raise Ima2Error("AGENT_NO_CURRENT_IMAGE")
        if command is not None and command.name in agent.IMMEDIATE_COMMANDS:
            await self.records.append_turn(session_id, {"role": agent.USER, "text": text})
            reply = await self._immediate(session, turns, command)
            await self.records.append_turn(session_id, {"role": agent.ASSISTANT, "text": reply})
            return None
        body = {
            "sessionId": session_id,
            "requestId": request_id,
            "prompt": command.prompt if command is not None else text,
            "command": {"name": command.name, "value": command.value} if command is not None else None,
            "options": {**settings, "webSearchEnabled": session["webSearchEnabled"]},
        }
        item = await self.records.create_item(body)  # first: a refused request id changes nothing
        await self.records.append_turn(session_id, {"role": agent.USER, "text": text})
        return item

    async def _immediate(
        self, session: dict[str, Any], turns: list[dict[str, Any]], command: agent.SlashCommand
    ) -> str:
        if command.name == "help":
            return agent.help_text()
        if command.name == "parallelism":
            await self.records.update_session(
                session["id"], {"generationSettings": {"parallelism": command.value}}
            )
            return f"Parallelism set to {command.value}."
        if not command.prompt:
            return "Ask something after /question, for example: /question which palette suits a poster?"
        return await self.planner.answer(session, turns, command.prompt)

    async def compact(self, session_id: str) -> dict[str, Any]:
        session, turns = await self.records.session(session_id)
        fold = [t for t in turns if not t.get("compacted")][: -agent.COMPACT_KEEP_TURNS or None]
        if not fold:
            return {"session": session, "turns": turns}
        summary = await self.planner.summarize(session, fold)
        return await self.records.compact(session_id, summary, agent.COMPACT_KEEP_TURNS)

    # -- queue items as jobs

    async def run_item(self, item_id: str, async_mode: bool) -> AsyncIterator[common_pb2.JobEvent]:
        item = await self.records.item(item_id)
        if item["status"] != agent.QUEUED:
            raise Ima2Error("AGENT_QUEUE_RETRY_FAILED", "The item is not queued.")
        settings = item["options"]
        options = job_options(settings, item["requestId"], bool(settings.get("webSearchEnabled", True)))
        info = JobInfo("agent", options, Prompt.plain(item["prompt"]), 0, options.web_search_enabled)
        meta = info.inflight_meta(sessionId=item["sessionId"], agentItemId=item_id)
        work = guarded(self.deps.library, lambda job, files: self._work(job, files, item, info))
        started = False
        try:
            async for event in self.deps.runner.run(
                item["requestId"], agent.JOB_KIND, meta, work, async_mode
            ):
                started = True
                yield event
        except Ima2Error as err:
            if not started:  # refused before the job existed (admission): the item ends here
                await self._end(item_id, agent.FAILED, err)
            raise

    async def _end(self, item_id: str, status: str, err: Ima2Error | None, **more: Any) -> None:
        fields: dict[str, Any] = {"status": status, "finishedAt": now_ms(), **more}
        if err is not None:
            fields.update(errorCode=err.code, errorMessage=err.message)
        try:
            await self.records.transition(item_id, agent.OPEN_STATUSES, fields)
        except Ima2Error as exc:
            log.warning("agent item not ended", extra=log_fields(code=exc.code, status=status))
        async with self._item_ended:
            self._item_ended.notify_all()

    async def _work(
        self, job: Job, files: StoredFiles, item: dict[str, Any], info: JobInfo
    ) -> dict[str, Any]:
        session_id = item["sessionId"]
        try:
            await job.phase("queued")
            await self._take_turn(job, item)
            result = await self._run(job, files, item, info)
        except asyncio.CancelledError:
            await asyncio.shield(self._end(item["id"], agent.CANCELED, Ima2Error("GENERATION_CANCELED")))
            raise
        except Exception as exc:
            err = exc if isinstance(exc, Ima2Error) else Ima2Error("GENERATE_FAILED")
            await self._end(item["id"], agent.FAILED, err)
            await self._error_turn(session_id, err)
            raise
        await self._end(item["id"], agent.SUCCEEDED, None, resultImages=result["images"])
        return result

    async def _take_turn(self, job: Job, item: dict[str, Any]) -> None:
        """Wait until the item may run (its session's earlier items, `parallelism` at once), then
        mark it running. Items in its way whose job is gone are settled meanwhile."""
        registry = self.deps.runner.registry
        while True:
            job.raise_if_canceled()
            fields = {"status": agent.RUNNING, "startedAt": now_ms(), "attempts": item["attempts"] + 1}
            current, started, ahead = await self.records.start_in_turn(item["id"], fields)
            if started:
                return
            if current["status"] != agent.QUEUED:
                raise asyncio.CancelledError  # canceled while it waited
            for other in ahead:
                await settle_orphan(other, registry, self.records.transition, registry.lease_ms)
            async with self._item_ended:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._item_ended.wait(), TURN_CHECK_SECONDS)

    async def _error_turn(self, session_id: str, err: Ima2Error) -> None:
        try:
            await self.records.append_turn(
                session_id,
                {
                    "role": agent.ASSISTANT,
                    "text": f"That did not work: {err.message}",
                    "status": agent.TURN_ERROR,
                },
            )
        except Ima2Error as exc:
            log.warning("agent error turn not written", extra=log_fields(code=exc.code))

    async def _plan(
        self, job: Job, session: dict[str, Any], turns: list[dict[str, Any]], item: dict[str, Any]
    ) -> Plan:
        command = item.get("command") or {}
        name = command.get("name")
        if name in ("generate", "variants"):
            return Plan(agent.TOOL_GENERATE, item["prompt"], source="slash-command")
        if name == "edit":
            if not session.get("currentImage"):
                raise Ima2Error("AGENT_NO_CURRENT_IMAGE")
            return Plan(agent.TOOL_EDIT, item["prompt"], source="slash-command")
        if item["options"].get("generationStrategy") == "manual":
            tool = agent.TOOL_EDIT if session.get("currentImage") else agent.TOOL_GENERATE
            return Plan(tool, item["prompt"], source="manual-settings")
        await job.phase("planning")
        return await self.planner.plan(session, turns, item["prompt"])

    async def _run(self, job: Job, files: StoredFiles, item: dict[str, Any], info: JobInfo) -> dict[str, Any]:
        session_id = item["sessionId"]
        session, turns = await self.records.session(session_id)
        if len([t for t in turns if not t.get("compacted")]) > agent.AUTO_COMPACT_TURNS:
            compacted = await self.compact(session_id)
            session, turns = compacted["session"], compacted["turns"]
        plan = await self._plan(job, session, turns, item)
        job.raise_if_canceled()
        base = {"sessionId": session_id, "agentItemId": item["id"], "tool": plan.tool}
        if plan.tool == agent.TOOL_ANSWER:
            text = plan.text or "I have nothing to add."
            await self.records.append_turn(
                session_id,
                {
                    "role": agent.ASSISTANT,
                    "text": text,
                    "toolCalls": [{"name": plan.tool, "status": "complete", "source": plan.source}],
                },
            )
            return {**base, "text": text, "images": []}
        images = await self._images(job, files, session, item, info, plan)
        job.raise_if_canceled()
        did = (
            "Edited the current image."
            if plan.tool == agent.TOOL_EDIT
            else ("Generated an image." if len(images) == 1 else f"Generated {len(images)} images.")
        )
        text = f"{plan.text} {did}".strip() if plan.text else did
        await self.records.append_turn(
            session_id,
            {
                "role": agent.ASSISTANT,
                "text": text,
                "images": images,
                "toolCalls": [
                    {
                        "name": plan.tool,
                        "status": "complete",
                        "source": plan.source,
                        "input": {"prompt": plan.prompt},
                        "imageCount": len(images),
                    }
                ],
            },
        )
        await self.records.update_session(session_id, {"resultImage": images[0]})
        return {**base, "text": text, "images": images}

    async def _images(
        self,
        job: Job,
        files: StoredFiles,
        session: dict[str, Any],
        item: dict[str, Any],
        info: JobInfo,
        plan: Plan,
    ) -> list[dict[str, Any]]:
        settings = item["options"]
        command = item.get("command") or {}
        edit = plan.tool == agent.TOOL_EDIT
        count = 1 if edit else int(command.get("value") or settings.get("variants") or 1)
        provider = await self.deps.provider(info.options.provider)
        references: list[str] = []
        if edit:
            current = session["currentImage"]["filename"]
            media = await self.deps.library.unary(
                self.deps.library.stub.ReadMedia, library_pb2.ReadMediaRequest(filename=current)
            )
            references.append(to_data_url(media.data, media.mime))
        prompt = locked_prompt(plan.prompt, session)
        info.prompt = Prompt(user=plan.prompt, effective=prompt)
        await job.phase("streaming")
        call = make_call(
            info.options,
            info.prompt,
            references=references,
            planner_model=await self.deps.planner_model(info.options.provider),
            edit=edit,
            count=count,
        )
        result = await generate_images(job, provider, call)
        job.raise_if_canceled()
        saved: list[dict[str, Any]] = []
        for index, image in enumerate(result.images[:count]):
            metadata = info.metadata(
                job,
                revisedPrompt=image.revised_prompt,
                usage=result.usage,
                webSearchCalls=result.web_search_calls,
                agentSessionId=session["id"],
                agentTool=plan.tool,
                **({"sourceFilename": session["currentImage"]["filename"]} if edit else {}),
            )
            stored = await files.save(
                image, kind="edit" if edit else "classic", index=index, metadata=metadata
            )
            entry: dict[str, Any] = {
                "filename": stored.filename,
                "url": stored.url,
                "prompt": plan.prompt,
                "revisedPrompt": image.revised_prompt,
                "createdAt": stored.created_at or now_ms(),
            }
            if stored.thumb:
                entry["thumb"] = stored.thumb
            saved.append(entry)
        return saved
