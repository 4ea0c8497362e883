"""The video routes' jobs from their validated bodies (`models.video` checks them in the
reference's order, §1.6: provider, prompt, model, duration, resolution, aspect ratio,
continuation, references). Nothing is admitted or sent upstream before these pass."""

from __future__ import annotations

import json

from fastapi import Request

from ima2_gateway.models.video import VideoEditRequest, VideoExtendRequest, VideoGenerateRequest
from ima2_proto.v1 import video_pb2


def generate_video_request(body: VideoGenerateRequest, request: Request) -> video_pb2.GenerateVideoRequest:
    return video_pb2.GenerateVideoRequest(
        request_id=body.requestId or str(request.state.request_id),
        prompt=body.prompt,
        provider=body.provider,
        model=body.model,
        duration=body.duration,
        resolution=body.resolution,
        aspect_ratio=body.aspectRatio,
        source_image=body.sourceImage,
        source_filename=body.sourceFilename,
        reference_images=body.referenceImages,
        reference_filenames=body.referenceFilenames,
        continue_from_video=body.continueFromVideo,
        continuity_lineage_json=json.dumps(body.continuityLineage)
        if body.continuityLineage is not None
        else "",
        planner_model=body.plannerModel,
        storyboard=body.storyboard,
        session_id=body.sessionId,
        async_mode=body.asyncMode,
    )


def edit_video_request(body: VideoEditRequest, request: Request) -> video_pb2.EditVideoRequest:
    return video_pb2.EditVideoRequest(
        request_id=body.requestId or str(request.state.request_id),
        prompt=body.prompt,
        video_url=body.videoUrl,
        model=body.model,
        provider=body.provider,
    )


def extend_video_request(body: VideoExtendRequest, request: Request) -> video_pb2.ExtendVideoRequest:
    return video_pb2.ExtendVideoRequest(
        request_id=body.requestId or str(request.state.request_id),
        prompt=body.prompt,
        video_url=body.videoUrl,
        duration=body.duration,
        model=body.model,
        provider=body.provider,
    )
