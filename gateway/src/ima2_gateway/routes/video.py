"""The video routes (spec "Video Generation", reference §1.6).

- POST /api/video/generate: per-request SSE on the POST, headers flushed at once, every event
  also on /api/events; `async: true` answers 202 `{requestId}`. Validation errors are one SSE
  `error` event (the flat JSON envelope with its status in async mode).
- POST /api/video/edit, /api/video/extend: blocking JSON (the job's `done` payload).
- GET /api/video/frame: a PNG of a generated mp4's frame.
- POST /api/video/analyze: first and last frame to the vision model.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.errors import error_response
from ima2_gateway.jobs import answer_json, answer_sse, answer_sse_flushed, sse_error_response
from ima2_gateway.validation import REQUEST_ID_RE, json_body
from ima2_gateway.video_validation import (
    edit_video_request,
    extend_video_request,
    generate_video_request,
    local_video_name,
    video_provider,
)
from ima2_proto.v1 import video_pb2

router = APIRouter()
FRAME_TIMEOUT = 90.0
ANALYZE_TIMEOUT = 300.0


@router.post("/api/video/generate", operation_id="videoGenerate")
async def video_generate(request: Request) -> Response:
    body: dict[str, Any] = {}
    try:
        body = await json_body(request)
        job = generate_video_request(body, request)
    except Ima2Error as err:
        if body.get("async") is True:
            return error_response(err, request)
        requested = body.get("requestId")
        valid = isinstance(requested, str) and REQUEST_ID_RE.match(requested)
        return sse_error_response(err, requested if valid else request.state.request_id)
    stream = gateway(request).services.video.stream("GenerateVideo", job)
    if job.async_mode:
        return await answer_sse(stream, request, request_id=job.request_id, errors_as_sse=False)
    return answer_sse_flushed(stream, request, request_id=job.request_id)


@router.post("/api/video/edit", operation_id="videoEdit")
async def video_edit(request: Request) -> Response:
    try:
        job = edit_video_request(await json_body(request), request)
    except Ima2Error as err:
        return error_response(err, request)
    stream = gateway(request).services.video.stream("EditVideo", job)
    return await answer_json(stream, request, request_id=job.request_id)


@router.post("/api/video/extend", operation_id="videoExtend")
async def video_extend(request: Request) -> Response:
    try:
        job = extend_video_request(await json_body(request), request)
    except Ima2Error as err:
        return error_response(err, request)
    stream = gateway(request).services.video.stream("ExtendVideo", job)
    return await answer_json(stream, request, request_id=job.request_id)


@router.get("/api/video/frame", operation_id="videoFrame")
async def video_frame(request: Request, file: str = "", position: str = "last") -> Response:
    gw = gateway(request)
    try:
        name = local_video_name(file, gw.settings.generated_path)
        reply = await gw.services.video.call(
            "ExtractFrame", video_pb2.ExtractFrameRequest(file=name, position=position), timeout=FRAME_TIMEOUT
        )
    except Ima2Error as err:
        return error_response(err, request)
    return Response(reply.png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/api/video/analyze", operation_id="videoAnalyze")
async def video_analyze(request: Request) -> Response:
    gw = gateway(request)
    try:
        body = await json_body(request)
        name = local_video_name(body.get("videoUrl"), gw.settings.generated_path, "videoUrl")
        provider = video_provider(body)
        reply = await gw.services.video.call(
            "AnalyzeVideo",
            video_pb2.AnalyzeVideoRequest(
                video_url=name, request_id=request.state.request_id, provider=provider
            ),
            timeout=ANALYZE_TIMEOUT,
        )
    except Ima2Error as err:
        return error_response(err, request)
    return JSONResponse({"analysis": reply.analysis, "model": reply.model, "method": reply.method})
