"""Image generation: POST /api/generate, /api/edit, /api/node/generate, /api/generate/multimode.

Fields are declared in the order the reference checks them, so a body with several faults answers
the code of the first one, as before.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, WithJsonSchema

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.media import decode_base64, image_size, sniff_mime, strip_data_url
from ima2_gateway.models.base import ApiModel, domain_check, empty_to_none, member_of, not_blank

EMPTY_IS_DEFAULT = BeforeValidator(empty_to_none)
SIZE_PATTERN = r"^(auto|grok:.*|\d{2,5}x\d{2,5})$"
CONTEXT_MODES = ("parent-plus-refs", "parent-only")
SEARCH_MODES = ("off", "auto", "on")


def check_reference(item: str) -> str:
    """One reference image: base64 or a data URL, not empty, not too large (REF_*)."""
    _, payload = strip_data_url(item.strip())
    if not payload.strip():
        raise Ima2Error("REF_EMPTY")
    if len(payload) > limits.MAX_REF_B64_BYTES:
        raise Ima2Error("REF_TOO_LARGE")
    try:
        decode_base64(payload)
    except ValueError:
        raise Ima2Error("REF_NOT_BASE64") from None
    return item.strip()


def decode_image(value: str) -> bytes:
    """The bytes of an image given as base64 or a data URL (INVALID_IMAGE when it is not one)."""
    _, payload = strip_data_url(value.strip())
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("INVALID_IMAGE", "The image is not valid base64.") from None
    if not (sniff_mime(data) or "").startswith("image/") or image_size(data) is None:
        raise Ima2Error("INVALID_IMAGE", "The image must be a PNG, JPEG or WebP.")
    return data


def check_image(value: str) -> str:
    decode_image(value)
    return value


def _enum(values: tuple[str, ...]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values)})


Reference = Annotated[str, AfterValidator(domain_check(check_reference))]
Prompt = Annotated[str, AfterValidator(not_blank), Field(min_length=1)]
RequestId = Annotated[str, Field(pattern=limits.REQUEST_ID_PATTERN)]
Size = Annotated[str, Field(pattern=SIZE_PATTERN)]
PROVIDER_VALUES = (*catalog.IMAGE_PROVIDERS, *(a for a in catalog.PROVIDER_ALIASES if a))
Provider = Annotated[str, AfterValidator(member_of(PROVIDER_VALUES)), _enum(PROVIDER_VALUES)]
Effort = Annotated[
    str, AfterValidator(member_of(catalog.REASONING_EFFORTS)), _enum(catalog.REASONING_EFFORTS)
]
PromptMode = Annotated[str, AfterValidator(member_of(catalog.PROMPT_MODES)), _enum(catalog.PROMPT_MODES)]
Quality = Annotated[str, AfterValidator(member_of(catalog.QUALITIES)), _enum(catalog.QUALITIES)]
Format = Annotated[str, AfterValidator(member_of(catalog.FORMATS)), _enum(catalog.FORMATS)]
Moderation = Annotated[str, AfterValidator(member_of(catalog.MODERATIONS)), _enum(catalog.MODERATIONS)]
SearchMode = Annotated[str, AfterValidator(member_of(SEARCH_MODES)), _enum(SEARCH_MODES)]
ContextMode = Annotated[str, _enum(CONTEXT_MODES)]  # others: CONTEXT_MODE_UNSUPPORTED (validation.py)


class ImageJobFields(ApiModel):
    """The fields every image job shares: the prompt, provider, model and output options, request id."""

    error_codes: ClassVar[dict[str, str]] = {
        "prompt": "PROMPT_REQUIRED",
        "provider": "INVALID_PROVIDER",
        "references:too_long": "REF_TOO_MANY",
        "references": "REF_NOT_ARRAY",
        "references.*": "REF_NOT_STRING",
        "reasoningEffort": "INVALID_REASONING_EFFORT",
        "requestId": "INVALID_REQUEST_ID",
        "model": "INVALID_IMAGE_MODEL",
        "quality": "INVALID_QUALITY",
        "size": "INVALID_SIZE",
        "format": "INVALID_FORMAT",
        "moderation": "INVALID_MODERATION",
    }
    check_order: ClassVar[tuple[str, ...]] = (
        "prompt",
        "image",
        "parentNodeId",
        "externalSrc",
        "contextMode",
        "searchMode",
        "provider",
        "references",
        "reasoningEffort",
        "mode",
        "requestId",
        "model",
        "quality",
        "size",
        "format",
        "moderation",
    )

    prompt: Prompt
    provider: Annotated[Provider | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description='Image provider; "auto" means oauth. Default oauth.'
    )
    references: list[Reference] | None = Field(
        default=None,
        max_length=limits.MAX_REFERENCES,
        description="Reference images: base64 or data URLs.",
    )
    reasoningEffort: Annotated[Effort | None, EMPTY_IS_DEFAULT] = None
    mode: Annotated[PromptMode | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="Prompt handling: auto (default) or direct."
    )
    requestId: Annotated[RequestId | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="Client request id; defaults to the X-Request-Id."
    )
    model: Annotated[str | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="Image model; the provider's default when absent (see /api/capabilities)."
    )
    quality: Annotated[Quality | None, EMPTY_IS_DEFAULT] = None
    size: Annotated[Size | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="WxH, auto, or grok:<ratio>. Default 1024x1024."
    )
    format: Annotated[Format | None, EMPTY_IS_DEFAULT] = None
    moderation: Annotated[Moderation | None, EMPTY_IS_DEFAULT] = None
    sessionId: str | None = None
    clientNodeId: str | None = None
    storyboard: StrictBool | None = None
    webSearchEnabled: StrictBool | None = None
    asyncMode: StrictBool | None = Field(
        default=None,
        alias="async",
        description="true: answer 202 {requestId} at once and publish progress on GET /api/events.",
    )


class GenerateRequest(ImageJobFields):
    error_codes: ClassVar[dict[str, str]] = {**ImageJobFields.error_codes, "n": "INVALID_COUNT"}

    n: StrictInt = Field(default=1, ge=1, le=limits.MAX_GENERATED_IMAGES, description="Number of images.")


class EditRequest(ImageJobFields):
    error_codes: ClassVar[dict[str, str]] = {
        **ImageJobFields.error_codes,
        "prompt": "IMAGE_REQUIRED",
        "image": "IMAGE_REQUIRED",
        "mask": "INVALID_EDIT_MASK",
    }

    image: Annotated[str, AfterValidator(not_blank), AfterValidator(domain_check(check_image))] = Field(
        description="The image to edit: base64 or a data URL (PNG, JPEG or WebP)."
    )
    mask: Annotated[str | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="Optional PNG mask with alpha, the image's size (mask guidance)."
    )


class NodeGenerateRequest(ImageJobFields):
    parentNodeId: Annotated[str | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="A stored node whose image is edited."
    )
    externalSrc: Annotated[str | None, EMPTY_IS_DEFAULT] = Field(
        default=None, description="A /generated/ URL or an image data URL to start from."
    )
    contextMode: Annotated[ContextMode | None, EMPTY_IS_DEFAULT] = None
    searchMode: Annotated[SearchMode | None, EMPTY_IS_DEFAULT] = None


class MultimodeRequest(ImageJobFields):
    error_codes: ClassVar[dict[str, str]] = {**ImageJobFields.error_codes, "maxImages": "INVALID_COUNT"}

    maxImages: StrictInt | None = Field(
        default=None, ge=1, le=limits.MAX_MULTIMODE_IMAGES, description="Default 4."
    )


# Answers


class GeneratedImage(ApiModel):
    """One saved image: the data URL plus where the library keeps it."""

    model_config = ConfigDict(extra="allow")
    image: str | None = Field(default=None, description="data:<mime>;base64,... (absent if deleted since).")
    filename: str
    url: str
    revisedPrompt: str | None = None
    createdAt: int
    thumb: str | None = None


class GenerateResult(ApiModel):
    """A finished generation. With n = 1 the image fields are at the top level, otherwise in `images`."""

    model_config = ConfigDict(extra="allow")
    image: str | None = None
    filename: str | None = None
    url: str | None = None
    images: list[GeneratedImage] | None = None
    count: int | None = None
    requestId: str
    elapsed: float
    provider: str
    model: str
    quality: str
    size: str
    usage: dict[str, Any] | None = None
    warnings: list[str] = []


class NodeResult(GenerateResult):
    nodeId: str
    parentNodeId: str | None = None
    contextMode: str
    searchMode: str


class Accepted(ApiModel):
    """An async job was admitted: follow it on GET /api/events."""

    requestId: str
    asyncMode: bool | None = Field(default=None, alias="async")
