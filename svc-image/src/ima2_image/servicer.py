"""ImageService over gRPC: thin; the work is in ImageJobs, the probes and the planner store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from ima2_common.errors import Ima2Error
from ima2_common.grpc_server import ServicerContext
from ima2_image.cardnews_jobs import CardNewsJobs
from ima2_image.cardnews_plan import CardNewsPlanner
from ima2_image.generation import ImageJobs
from ima2_image.planner_config import PlannerConfigStore
from ima2_image.prompt_builder import BuilderConfig, ChatRequest, Message, PromptBuilder
from ima2_image.status import ProviderStatusProbe
from ima2_image.style_sheet import StyleSheetExtractor
from ima2_proto.v1 import common_pb2, image_pb2, image_pb2_grpc


class ImageServicer(image_pb2_grpc.ImageServiceServicer):
    def __init__(
        self,
        jobs: ImageJobs,
        probe: ProviderStatusProbe,
        planner: PlannerConfigStore,
        style_sheets: StyleSheetExtractor,
        prompt_builder: PromptBuilder,
        card_news: CardNewsJobs,
    ) -> None:
        self.prompt_builder = prompt_builder
        self.card_news = card_news
        self.card_news_planner = CardNewsPlanner(prompt_builder)
        self.jobs = jobs
        self.probe = probe
        self.planner = planner
        self.style_sheets = style_sheets

    async def Generate(
        self, request: image_pb2.GenerateRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.generate(request):
            yield event

    async def Edit(
        self, request: image_pb2.EditRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.edit(request):
            yield event

    async def NodeGenerate(
        self, request: image_pb2.NodeGenerateRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.node_generate(request):
            yield event

    async def Multimode(
        self, request: image_pb2.MultimodeRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.multimode(request):
            yield event

    async def GetProviderStatus(
        self, request: image_pb2.ProviderStatusRequest, context: ServicerContext
    ) -> image_pb2.ProviderStatus:
        return await self.probe.status(request.provider)

    async def GetGrokPlannerConfig(
        self, request: common_pb2.Empty, context: ServicerContext
    ) -> image_pb2.GrokPlannerConfig:
        return image_pb2.GrokPlannerConfig(model=await self.planner.get(), options=self.planner.options())

    async def SetGrokPlannerConfig(
        self, request: image_pb2.GrokPlannerConfig, context: ServicerContext
    ) -> image_pb2.GrokPlannerConfig:
        model = await self.planner.set(request.model)
        return image_pb2.GrokPlannerConfig(model=model, options=self.planner.options())

    async def ExtractStyleSheet(
        self, request: image_pb2.ExtractStyleSheetRequest, context: ServicerContext
    ) -> image_pb2.ExtractStyleSheetResponse:
        sheet = await self.style_sheets.extract(request.prompt, list(request.references), request.session_id)
        return image_pb2.ExtractStyleSheetResponse(style_sheet_json=json.dumps(sheet, ensure_ascii=False))

    async def PromptBuilderChat(
        self, request: image_pb2.PromptBuilderChatRequest, context: ServicerContext
    ) -> image_pb2.PromptBuilderChatReply:
        parsed = json.loads(request.context_json) if request.context_json else None
        reply = await self.prompt_builder.chat(
            ChatRequest(
                backend=request.backend,
                model=request.model,
                messages=[Message(m.role, m.content) for m in request.messages],
                context=parsed if isinstance(parsed, dict) else None,
            )
        )
        return image_pb2.PromptBuilderChatReply(
            provider=reply.provider,
            backend=reply.backend,
            requested_backend=reply.requested_backend,
            model=reply.model,
            content=reply.content,
            usage_json=json.dumps(reply.usage) if reply.usage is not None else "",
        )

    @staticmethod
    def _builder_config(config: BuilderConfig) -> image_pb2.PromptBuilderConfig:
        return image_pb2.PromptBuilderConfig(
            backend=config.backend,
            model=config.model,
            options_json=json.dumps(config.options()),
            backend_locked=config.backend_locked,
            model_locked=config.model_locked,
        )

    async def GetPromptBuilderConfig(
        self, request: common_pb2.Empty, context: ServicerContext
    ) -> image_pb2.PromptBuilderConfig:
        return self._builder_config(await self.prompt_builder.config.get())

    async def SetPromptBuilderConfig(
        self, request: image_pb2.PromptBuilderConfigUpdate, context: ServicerContext
    ) -> image_pb2.PromptBuilderConfig:
        config = await self.prompt_builder.config.set(
            request.backend if request.has_backend else None, request.model if request.has_model else None
        )
        return self._builder_config(config)

    async def CardNewsDraft(
        self, request: image_pb2.CardNewsDraftRequest, context: ServicerContext
    ) -> image_pb2.CardNewsDraftReply:
        try:
            brief = json.loads(request.brief_json) if request.brief_json else {}
        except json.JSONDecodeError:
            brief = None
        if not isinstance(brief, dict):
            raise Ima2Error("CARD_NEWS_BAD_REQUEST", "The brief must be a JSON object.")
        plan, planner = await self.card_news_planner.draft(
            brief, request.backend, request.model, request.deterministic
        )
        return image_pb2.CardNewsDraftReply(
            plan_json=json.dumps(plan, ensure_ascii=False), planner_json=json.dumps(planner)
        )

    async def CardNewsGenerate(
        self, request: image_pb2.CardNewsGenerateRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.card_news.generate(request):
            yield event
