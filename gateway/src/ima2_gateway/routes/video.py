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

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.errors import error_response
from ima2_gateway.jobs import answer_json, answer_sse, answer_sse_flushed, sse_error_response
from ima2_gateway.models.base import parse_body, parse_json_object, validate_body
from ima2_gateway.models.video import (
    GENERATED_DIR,
    VideoAnalysis,
    VideoAnalyzeRequest,
    VideoEditRequest,
    VideoExtendRequest,
    VideoGenerateRequest,
    VideoResult,
    local_video_name,
)
from ima2_gateway.openapi import GENERATION_STATUSES, contract, json_body
from ima2_gateway.validation import REQUEST_ID_RE
from ima2_gateway.video_validation import edit_video_request, extend_video_request, generate_video_request
from ima2_proto.v1 import video_pb2

router = APIRouter(tags=["video"])
FRAME_TIMEOUT = 90.0
ANALYZE_TIMEOUT = 300.0
PNG_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The frame as a PNG.",
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/api/video/generate",
    operation_id="videoGenerate",
    summary="Generate a video (SSE: planning, submitted, progress, done, error; or async)",
    **contract(
        None,
        errors="flat",
        statuses=GENERATION_STATUSES,
        body=json_body(VideoGenerateRequest),
        sse=True,
        accepted=True,
    ),
)
async def video_generate(request: Request) -> Response:
    raw: dict[str, Any] = {}
    try:
        raw = parse_json_object(await request.body())
        job = generate_video_request(validate_body(VideoGenerateRequest, raw), request)
    except Ima2Error as err:
        if raw.get("async") is True:
            return error_response(err, request)
        requested = raw.get("requestId")
        valid = isinstance(requested, str) and REQUEST_ID_RE.match(requested)
        return sse_error_response(
            err, requested if valid and isinstance(requested, str) else request.state.request_id
        )
    video = gateway(request).services.video
    stream = video.stream(video.stub.GenerateVideo, job)
    if job.async_mode:
        return await answer_sse(stream, request, request_id=job.request_id, errors_as_sse=False)
    return answer_sse_flushed(stream, request, request_id=job.request_id)


@router.post(
    "/api/video/edit",
    operation_id="videoEdit",
    summary="Edit a video (blocking: the saved clip)",
    **contract(VideoResult, errors="flat", statuses=GENERATION_STATUSES, body=json_body(VideoEditRequest)),
)
async def video_edit(request: Request) -> Response:
    try:
        job = edit_video_request(parse_body(VideoEditRequest, await request.body()), request)
    except Ima2Error as err:
        return error_response(err, request)
    video = gateway(request).services.video
    stream = video.stream(video.stub.EditVideo, job)
    return await answer_json(stream, request, request_id=job.request_id)


@router.post(
    "/api/video/extend",
    operation_id="videoExtend",
    summary="Extend a video from its last frame (blocking: the saved clip)",
    **contract(VideoResult, errors="flat", statuses=GENERATION_STATUSES, body=json_body(VideoExtendRequest)),
)
async def video_extend(request: Request) -> Response:
    try:
        job = extend_video_request(parse_body(VideoExtendRequest, await request.body()), request)
    except Ima2Error as err:
        return error_response(err, request)
    video = gateway(request).services.video
    stream = video.stream(video.stub.ExtendVideo, job)
    return await answer_json(stream, request, request_id=job.request_id)


@router.get(
    "/api/video/frame",
    operation_id="videoFrame",
    summary="A PNG frame of a generated .mp4",
    **contract(None, errors="flat", statuses=(404, 502, 504), extra=PNG_ANSWER),
)
async def video_frame(
    request: Request,
    file: str = Query("", description="A generated .mp4 name or an absolute path inside generated/."),
    position: str = Query("last", description="last (default) or non-negative seconds."),
) -> Response:
    gw = gateway(request)
    try:
        name = local_video_name(file, gw.settings.generated_path)
        video = gw.services.video
        reply = await video.unary(
            video.stub.ExtractFrame,
            video_pb2.ExtractFrameRequest(file=name, position=position),
            timeout=FRAME_TIMEOUT,
        )
    except Ima2Error as err:
        return error_response(err, request)
    return Response(reply.png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/api/video/analyze",
    operation_id="videoAnalyze",
    summary="Motion guidance from a generated .mp4's first and last frames",
    **contract(
        VideoAnalysis, errors="flat", statuses=(404, 429, 502, 503, 504), body=json_body(VideoAnalyzeRequest)
    ),
)
async def video_analyze(request: Request) -> Response:
    gw = gateway(request)
    try:
        body = parse_body(
            VideoAnalyzeRequest, await request.body(), context={GENERATED_DIR: gw.settings.generated_path}
        )
        video = gw.services.video
        reply = await video.unary(
            video.stub.AnalyzeVideo,
            video_pb2.AnalyzeVideoRequest(
                video_url=body.videoUrl, request_id=request.state.request_id, provider=body.provider
            ),
            timeout=ANALYZE_TIMEOUT,
        )
    except Ima2Error as err:
        return error_response(err, request)
    return JSONResponse(
        VideoAnalysis(analysis=reply.analysis, model=reply.model, method=reply.method).model_dump()
    )
