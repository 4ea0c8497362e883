"""Video: POST /api/video/generate, /edit, /extend, /analyze and their answers (reference §1.6).

Fields are checked in the reference's order: request id, provider, prompt, model, duration,
resolution, aspect ratio, continuation, references, source, planner model. The reference reads
these bodies loosely (an empty string or null is the default, a duration may be a digit string,
`storyboard`/`async` count only when `true`); the validators keep that, the schemas document what
a client should send.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_gateway.models.base import ApiModel, domain_check, domain_error
from ima2_gateway.validation import REQUEST_ID_RE, validate_references

PROMPT_GUIDANCE = (
    "Write an active video prompt: describe the visual flow and the motion, the sound (music or no "
    "music), dialogue or no dialogue, and the frame the clip should end on. Pace it to fill the chosen "
    "duration: an opening composition, a connected change of motion or emotion, and a stable ending. "
    "Example: from the attached last frame the subject turns toward the camera, rain grows louder, no "
    "music, one whispered line, ending on a still close-up."
)
GENERATED_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$"
GENERATED_NAME_RE = re.compile(GENERATED_NAME_PATTERN)
GENERATED_DIR = "generated_dir"  # validation context: the library's generated/ folder (a Path)


# Checks of one value (each raises the code the reference answers)


def check_request_id(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not REQUEST_ID_RE.match(value):
        raise Ima2Error("INVALID_REQUEST_ID")
    return value


def check_provider(value: Any) -> str:
    provider = "grok" if value in (None, "") else value
    if provider not in catalog.VIDEO_PROVIDERS:
        raise Ima2Error("AGY_VIDEO_UNSUPPORTED" if provider == "agy" else "VIDEO_PROVIDER_UNSUPPORTED")
    return str(provider)


def check_prompt(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("PROMPT_REQUIRED", guidance=PROMPT_GUIDANCE)
    return value.strip()


def check_model(value: Any) -> str:
    if value in (None, ""):
        return catalog.GROK_VIDEO_BASE_MODEL
    model = catalog.VIDEO_MODEL_ALIASES.get(str(value), value)
    if model not in catalog.VIDEO_MODELS:
        raise Ima2Error(
            "INVALID_GROK_VIDEO_MODEL", f"model must be one of: {', '.join(catalog.VIDEO_MODELS)}."
        )
    return str(model)


def check_edit_model(value: Any) -> str:
    model = check_model(value)
    if model != catalog.GROK_VIDEO_BASE_MODEL:
        raise Ima2Error(
            "INVALID_GROK_VIDEO_MODEL", f"Edit and extension support {catalog.GROK_VIDEO_BASE_MODEL} only."
        )
    return model


def duration_check(low: int, high: int, default: int) -> Any:
    def check(value: Any) -> int:
        if value is None:
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Ima2Error(
                "INVALID_VIDEO_DURATION", f"duration must be an integer from {low} to {high} seconds."
            )
        return value

    return check


def choice_check(allowed: tuple[str, ...], default: str, code: str) -> Any:
    def check(value: Any) -> str:
        if value in (None, ""):
            return default
        if value not in allowed:
            raise Ima2Error(code)
        return str(value)

    return check


def generated_input(value: Any, field: str, video: bool) -> str:
    """A generated file given by name (or `/generated/<name>`); it must stay inside the library."""
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{field} must be a generated file name.")
    name = value.strip().removeprefix("/generated/").lstrip("/")
    if not GENERATED_NAME_RE.match(name) or ".." in name:
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{field} must be a plain generated file name.")
    if name.lower().endswith(".mp4") != video:
        message = (
            f"{field} must be a generated .mp4" if video else "use continueFromVideo for generated videos"
        )
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{message}.")
    return name


def check_continuation(value: Any) -> str:
    return "" if value in (None, "") else generated_input(value, "continueFromVideo", video=True)


def check_array(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Ima2Error("REF_NOT_ARRAY")
    return value


def check_video_url(value: Any) -> str:
    """Edit and extend: an https URL, an xAI file id, a data:video URL or a generated .mp4."""
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_VIDEO_SOURCE", "videoUrl is required.")
    url: str = value.strip()
    if url.startswith(("https://", "data:video/", "file_")):
        return url
    if "://" in url or url.startswith("data:"):
        raise Ima2Error(
            "INVALID_VIDEO_SOURCE", "videoUrl must be https, a file id, a data:video URL or a generated .mp4."
        )
    return generated_input(url, "videoUrl", video=True)


def local_video_name(value: Any, generated_dir: Path, field: str = "file") -> str:
    """`/api/video/frame` and `/analyze`: a generated .mp4 name, or an absolute path inside the
    generated folder (reduced to its name). Remote URLs and data: inputs are refused."""
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{field} is required.")
    value = value.strip()
    if "://" in value or value.startswith("data:"):
        raise Ima2Error(
            "INVALID_VIDEO_SOURCE", "Only generated .mp4 files are accepted (no URLs or data: inputs)."
        )
    if os.path.isabs(value) and not value.startswith("/generated/"):
        folder = os.path.realpath(generated_dir)
        resolved = os.path.realpath(value)
        if os.path.dirname(resolved) != folder:
            raise Ima2Error("INVALID_VIDEO_SOURCE", "The path is not inside the generated folder.")
        value = os.path.basename(resolved)
    return generated_input(value, field, video=True)


def _enum(values: tuple[str, ...], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


RequestId = Annotated[
    str | None,
    BeforeValidator(domain_check(check_request_id)),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": limits.REQUEST_ID_PATTERN,
            "description": "Client request id; defaults to the X-Request-Id.",
        }
    ),
]
Provider = Annotated[
    str,
    BeforeValidator(domain_check(check_provider)),
    WithJsonSchema(_enum(catalog.VIDEO_PROVIDERS, 'Video provider, default "grok".')),
]
Prompt = Annotated[
    str, BeforeValidator(domain_check(check_prompt)), WithJsonSchema({"type": "string", "minLength": 1})
]
Flag = Annotated[bool, BeforeValidator(lambda value: value is True)]
FileName = {"type": "string", "pattern": GENERATED_NAME_PATTERN}
FileNames: dict[str, Any] = {"type": "array", "items": FileName}
Images: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "description": "base64 or data URLs."}
# A required field whose absence answers its own code (the check runs on the missing value too).
CHECKED_REQUIRED: Any = Field(default=None, validate_default=True)


def required(*names: str) -> ConfigDict:
    """The schema lists `names` as required (they default to a checked None, see CHECKED_REQUIRED)."""
    return ConfigDict(populate_by_name=True, json_schema_extra={"required": list(names)})


VIDEO_MODEL_VALUES = (*catalog.VIDEO_MODELS, *catalog.VIDEO_MODEL_ALIASES)


class VideoGenerateRequest(ApiModel):
    """Text-, image- or reference-to-video; the mode follows from the images given."""

    model_config = required("prompt")
    check_order: ClassVar[tuple[str, ...]] = (
        "requestId",
        "provider",
        "prompt",
        "model",
        "duration",
        "resolution",
        "aspectRatio",
        "continueFromVideo",
        "referenceImages",
        "referenceFilenames",
    )

    requestId: RequestId = None
    provider: Provider = "grok"
    prompt: Prompt = CHECKED_REQUIRED
    model: Annotated[
        str,
        BeforeValidator(domain_check(check_model)),
        WithJsonSchema(_enum(VIDEO_MODEL_VALUES, f"Default {catalog.GROK_VIDEO_BASE_MODEL}.")),
    ] = catalog.GROK_VIDEO_BASE_MODEL
    duration: Annotated[
        int,
        BeforeValidator(
            domain_check(
                duration_check(
                    limits.VIDEO_MIN_DURATION, limits.VIDEO_MAX_DURATION, limits.VIDEO_DEFAULT_DURATION
                )
            )
        ),
        WithJsonSchema(
            {
                "type": "integer",
                "minimum": limits.VIDEO_MIN_DURATION,
                "maximum": limits.VIDEO_MAX_DURATION,
                "description": f"Seconds (reference-to-video: at most {limits.VIDEO_R2V_MAX_DURATION}).",
            }
        ),
    ] = limits.VIDEO_DEFAULT_DURATION
    resolution: Annotated[
        str,
        BeforeValidator(
            domain_check(
                choice_check(
                    catalog.VIDEO_RESOLUTIONS, catalog.VIDEO_DEFAULT_RESOLUTION, "INVALID_VIDEO_RESOLUTION"
                )
            )
        ),
        WithJsonSchema(_enum(catalog.VIDEO_RESOLUTIONS, f"Default {catalog.VIDEO_DEFAULT_RESOLUTION}.")),
    ] = catalog.VIDEO_DEFAULT_RESOLUTION
    aspectRatio: Annotated[
        str,
        BeforeValidator(
            domain_check(
                choice_check(
                    catalog.VIDEO_ASPECT_RATIOS,
                    catalog.VIDEO_DEFAULT_ASPECT_RATIO,
                    "INVALID_VIDEO_ASPECT_RATIO",
                )
            )
        ),
        WithJsonSchema(_enum(catalog.VIDEO_ASPECT_RATIOS, f"Default {catalog.VIDEO_DEFAULT_ASPECT_RATIO}.")),
    ] = catalog.VIDEO_DEFAULT_ASPECT_RATIO
    continueFromVideo: Annotated[
        str,
        BeforeValidator(domain_check(check_continuation)),
        WithJsonSchema({**FileName, "description": "A generated .mp4 to continue from its last frame."}),
    ] = ""
    referenceImages: Annotated[
        list[Any], BeforeValidator(domain_check(check_array)), WithJsonSchema(Images)
    ] = []
    referenceFilenames: Annotated[
        list[Any], BeforeValidator(domain_check(check_array)), WithJsonSchema(FileNames)
    ] = []
    sourceImage: Annotated[
        Any, WithJsonSchema({"type": "string", "description": "base64 or a data URL."})
    ] = None
    sourceFilename: Annotated[Any, WithJsonSchema(FileName)] = None
    continuityLineage: Annotated[
        dict[str, Any] | None,
        BeforeValidator(lambda value: value if isinstance(value, dict) else None),
        Field(description="A client hint, used only without continueFromVideo."),
    ] = None
    plannerModel: Annotated[Any, WithJsonSchema(_enum(catalog.GROK_PLANNER_MODELS, "Planner model."))] = None
    storyboard: Flag = False
    sessionId: Annotated[str, BeforeValidator(lambda value: str(value or ""))] = ""
    asyncMode: Flag = Field(
        default=False,
        alias="async",
        description="true: answer 202 {requestId} at once and publish progress on GET /api/events.",
    )

    @model_validator(mode="after")
    def check_inputs(self) -> Self:
        """Counted together, then each reference, the source image and the planner model."""
        source_image = self.sourceImage or ""
        source_file = self.sourceFilename or ""
        given = (
            len(self.referenceImages) + len(self.referenceFilenames) + int(bool(source_image or source_file))
        )
        try:
            if given > limits.VIDEO_MAX_REFERENCES:
                raise Ima2Error("GROK_VIDEO_REF_TOO_MANY")
            self.referenceImages = validate_references(
                self.referenceImages, max_count=limits.VIDEO_MAX_REFERENCES
            )
            self.referenceFilenames = [
                generated_input(name, "referenceFilenames", video=False) for name in self.referenceFilenames
            ]
            if source_file:
                self.sourceFilename, self.sourceImage = (
                    generated_input(source_file, "sourceFilename", False),
                    "",
                )
            elif source_image:
                if not isinstance(source_image, str):
                    raise Ima2Error("REF_NOT_STRING")
                self.sourceFilename, self.sourceImage = "", validate_references([source_image])[0]
            else:
                self.sourceFilename, self.sourceImage = "", ""
            planner = self.plannerModel
            if planner not in (None, "") and (
                not isinstance(planner, str) or planner not in catalog.GROK_PLANNER_MODELS
            ):
                raise Ima2Error(
                    "INVALID_PLANNER_MODEL",
                    f"plannerModel must be one of: {', '.join(catalog.GROK_PLANNER_MODELS)}.",
                )
            self.plannerModel = planner or ""
        except Ima2Error as err:
            raise domain_error(err) from None
        return self


VideoUrl = Annotated[
    str,
    BeforeValidator(domain_check(check_video_url)),
    WithJsonSchema(
        {
            "type": "string",
            "description": "An https URL, an xAI file id, a data:video URL or a generated .mp4.",
        }
    ),
]
EditModel = Annotated[
    str,
    BeforeValidator(domain_check(check_edit_model)),
    WithJsonSchema(_enum((catalog.GROK_VIDEO_BASE_MODEL,), "Edit and extend take this model only.")),
]


class VideoEditRequest(ApiModel):
    model_config = required("prompt", "videoUrl")
    check_order: ClassVar[tuple[str, ...]] = ("requestId", "provider", "prompt", "model", "videoUrl")

    requestId: RequestId = None
    provider: Provider = "grok"
    prompt: Prompt = CHECKED_REQUIRED
    model: EditModel = catalog.GROK_VIDEO_BASE_MODEL
    videoUrl: VideoUrl = CHECKED_REQUIRED


class VideoExtendRequest(ApiModel):
    model_config = required("prompt", "videoUrl")
    check_order: ClassVar[tuple[str, ...]] = (
        "requestId",
        "provider",
        "prompt",
        "model",
        "duration",
        "videoUrl",
    )

    requestId: RequestId = None
    provider: Provider = "grok"
    prompt: Prompt = CHECKED_REQUIRED
    model: EditModel = catalog.GROK_VIDEO_BASE_MODEL
    duration: Annotated[
        int,
        BeforeValidator(
            domain_check(
                duration_check(limits.VIDEO_EXTEND_MIN_DURATION, limits.VIDEO_EXTEND_MAX_DURATION, 6)
            )
        ),
        WithJsonSchema(
            {
                "type": "integer",
                "minimum": limits.VIDEO_EXTEND_MIN_DURATION,
                "maximum": limits.VIDEO_EXTEND_MAX_DURATION,
                "description": "Seconds added. Default 6.",
            }
        ),
    ] = 6
    videoUrl: VideoUrl = CHECKED_REQUIRED


class VideoAnalyzeRequest(ApiModel):
    """A generated .mp4 (its name, /generated/<name>, or an absolute path inside the folder)."""

    model_config = required("videoUrl")
    check_order: ClassVar[tuple[str, ...]] = ("videoUrl", "provider")

    videoUrl: Annotated[str, WithJsonSchema({"type": "string", "description": "A generated .mp4."})] = (
        CHECKED_REQUIRED
    )
    provider: Provider = "grok"

    @field_validator("videoUrl", mode="before")
    @classmethod
    def local_file(cls, value: Any, info: ValidationInfo) -> str:
        try:
            return local_video_name(value, (info.context or {})[GENERATED_DIR], "videoUrl")
        except Ima2Error as err:
            raise domain_error(err) from None


# Answers


class VideoResult(ApiModel):
    """A saved clip (the `done` event of /api/video/generate; edit and extend answer it as JSON)."""

    model_config = ConfigDict(extra="allow")
    requestId: str | None = None
    filename: str
    url: str
    mediaType: str = Field(description='"video".')
    providerUrl: str | None = None
    revisedPrompt: str | None = None
    elapsed: float | None = None
    usage: dict[str, Any] | None = None
    requestedModel: str | None = None
    effectiveModel: str | None = None
    modelFallback: bool | None = None
    model: str | None = None
    xaiVideoRequestId: str | None = None
    sourceUrl: str | None = None
    duration: float | None = None
    video: dict[str, Any] | None = None
    videoContinuity: dict[str, Any] | None = None
    thumb: str | None = None


class VideoAnalysis(ApiModel):
    analysis: str = Field(description="Recreation and continuation guidance.")
    model: str
    method: str
