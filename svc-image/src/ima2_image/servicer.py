"""ImageService over gRPC: thin; the work is in ImageJobs, the probes and the planner store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from ima2_common.grpc_server import ServicerContext
from ima2_image.generation import ImageJobs
from ima2_image.planner_config import PlannerConfigStore
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
    ) -> None:
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
