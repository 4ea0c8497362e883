"""The non-job video calls: a frame of a generated mp4 (PNG) and the first/last-frame analysis."""

from __future__ import annotations

import logging

from ima2_common import ffmpeg
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import to_data_url
from ima2_common.upstream_bodies import responses_text
from ima2_video.inputs import GeneratedVideo, MediaReader
from ima2_video.planner_model import PlannerModelSource
from ima2_video.upstream import UpstreamFactory

log = logging.getLogger("ima2.video.tools")

ANALYSIS_METHOD = "first-last-frame"
ANALYSIS_PROMPT = (
    "These are the first and the last frame of one generated video clip. Infer the motion, camera "
    "movement and action that connect them, describe the subject, setting, lighting and style, and "
    "give (1) a prompt that would recreate this clip and (2) guidance for a continuation that starts "
    "from the last frame. Answer in English."
)


def parse_position(value: str) -> str | float:
    text = (value or "last").strip().lower()
    if text == "last":
        return "last"
    try:
        seconds = float(text)
    except ValueError:
        raise Ima2Error("INVALID_REQUEST", 'position must be "last" or a number of seconds.') from None
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise Ima2Error("INVALID_REQUEST", "position must be a non-negative number of seconds.")
    return seconds


class VideoTools:
    def __init__(
        self,
        reader: MediaReader,
        upstreams: UpstreamFactory,
        planner_models: PlannerModelSource,
        ffmpeg_timeout: float,
    ) -> None:
        self.reader = reader
        self.upstreams = upstreams
        self.planner_models = planner_models
        self.ffmpeg_timeout = ffmpeg_timeout

    async def _video(self, name: str) -> GeneratedVideo:
        video = await self.reader.video(name)
        if video.data[4:8] != b"ftyp":
            raise Ima2Error("GROK_VIDEO_FRAME_FAILED", "The file is not an MP4 video.")
        return video

    async def _frame(self, video: GeneratedVideo, position: str | float) -> bytes:
        try:
            return await ffmpeg.extract_frame(video.data, position, self.ffmpeg_timeout)
        except (ffmpeg.FfmpegError, TimeoutError, OSError) as exc:
            log.warning("frame failed", extra=log_fields(filename=video.filename, error=type(exc).__name__))
            raise Ima2Error("GROK_VIDEO_FRAME_FAILED") from None

    async def frame(self, name: str, position: str) -> bytes:
        where = parse_position(position)
        return await self._frame(await self._video(name), where)

    async def analyze(self, name: str, provider: str) -> dict[str, str]:
        video = await self._video(name)
        first = await self._frame(video, 0.0)
        last = await self._frame(video, "last")
        upstream = await self.upstreams.ready(provider or "grok")
        model = await self.planner_models.get()
        payload = {
            "model": model,
            "stream": False,
            "input": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "input_image",
                            "image_url": to_data_url(first, "image/png"),
                            "detail": "high",
                        },
                        {
                            "type": "input_image",
                            "image_url": to_data_url(last, "image/png"),
                            "detail": "high",
                        },
                        {"type": "input_text", "text": ANALYSIS_PROMPT},
                    ],
                }
            ],
        }
        text = responses_text(await upstream.text("planner", "/responses", payload))
        if not text:
            raise Ima2Error(
                "GROK_UPSTREAM_ERROR", "The analysis model returned no text.", upstream_type="empty"
            )
        return {"analysis": text, "model": model, "method": ANALYSIS_METHOD}
