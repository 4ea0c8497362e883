"""The error catalogue: every code the API can answer, its HTTP status and default message.

Services raise `Ima2Error`; gRPC carries it in the status details (see `grpc_errors`);
the gateway renders it in the envelope family that the spec uses for the route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    message: str


def _codes(status: int, entries: dict[str, str]) -> dict[str, ErrorSpec]:
    return {code: ErrorSpec(status, message) for code, message in entries.items()}


CATALOGUE: dict[str, ErrorSpec] = {
    **_codes(
        400,
        {
            "INVALID_REQUEST": "The upstream rejected the request parameters.",
            "INVALID_BODY": "The request body is not valid JSON.",
            "PROMPT_REQUIRED": "A prompt is required.",
            "IMAGE_REQUIRED": "Prompt and image are required.",
            "INVALID_PROVIDER": "Unknown provider.",
            "INVALID_QUALITY": "Quality must be low, medium or high.",
            "INVALID_SIZE": "Size must be WxH or auto.",
            "INVALID_FORMAT": "Format must be png, jpeg or webp.",
            "INVALID_MODERATION": "Moderation must be auto or low.",
            "INVALID_IMAGE_MODEL": "Unknown or unsupported image model.",
            "IMAGE_MODEL_UNSUPPORTED": "This model cannot generate images.",
            "INVALID_GROK_IMAGE_MODEL": "Grok image model must be grok-imagine-image or grok-imagine-image-quality.",
            "INVALID_REASONING_EFFORT": "Unknown reasoning effort.",
            "INVALID_COUNT": "n is out of range.",
            "INVALID_REQUEST_ID": "requestId must match [A-Za-z0-9._:-]{1,128}.",
            "REF_NOT_ARRAY": "references must be an array.",
            "REF_TOO_MANY": "Too many reference images.",
            "REF_NOT_STRING": "Each reference must be a string.",
            "REF_EMPTY": "A reference image is empty.",
            "REF_TOO_LARGE": "A reference image is too large.",
            "REF_NOT_BASE64": "A reference image is not valid base64.",
            "GROK_REF_TOO_MANY": "Grok accepts at most three input images.",
            "GROK_MASK_UNSUPPORTED": "Grok mask edits are not supported.",
            "AGY_MASK_UNSUPPORTED": "Mask-based editing is not supported by the agy provider.",
            "AGY_REF_TOO_MANY": "The agy provider accepts at most three reference images.",
            "AGY_VIDEO_UNSUPPORTED": "Video generation is not supported by the agy provider.",
            "GEMINI_MASK_UNSUPPORTED": "Mask-based editing is not supported by the gemini-api provider.",
            "GEMINI_API_SAFETY_BLOCKED": "Gemini blocked the generation with its safety filter.",
            "GEMINI_API_BAD_REQUEST": "Gemini rejected the request.",
            "GROK_BAD_REQUEST": "xAI rejected the image request.",
            "GROK_SEARCH_BAD_REQUEST": "xAI rejected the search request.",
            "GROK_PLANNER_BAD_REQUEST": "xAI rejected the planner request.",
            "INVALID_EDIT_MASK": "The mask must be a PNG image.",
            "INVALID_EDIT_MASK_BASE64": "The mask is not valid base64.",
            "INVALID_EDIT_MASK_PNG": "The mask is not a valid PNG.",
            "EDIT_MASK_TOO_LARGE": "The mask is too large.",
            "EDIT_MASK_NO_ALPHA": "The mask must have an alpha channel.",
            "EDIT_MASK_DIMENSION_MISMATCH": "The mask must have the same dimensions as the image.",
            "CONTEXT_MODE_UNSUPPORTED": "This context mode is not supported.",
            "INVALID_PLANNER_MODEL": "Unknown planner model.",
            "VIDEO_PROVIDER_UNSUPPORTED": 'Video generation requires provider "grok" or "grok-api".',
            "INVALID_GROK_VIDEO_MODEL": "Unknown Grok video model.",
            "INVALID_VIDEO_RESOLUTION": "Resolution must be 480p or 720p.",
            "INVALID_VIDEO_ASPECT_RATIO": "Unsupported aspect ratio.",
            "INVALID_VIDEO_DURATION": "Duration must be an integer in range.",
            "GROK_VIDEO_REF_TOO_MANY": "At most seven reference images are allowed.",
            "INVALID_VIDEO_SOURCE": "The video source is not allowed.",
            "INVALID_FILENAME": "Invalid file name.",
            "TRASH_ID_REQUIRED": "trashId required",
            "INVALID_GRAPH": "Graph must have nodes and edges arrays.",
            "INVALID_GRAPH_VERSION": "If-Match must be a graph version number.",
            "INVALID_TITLE": "Title must not be empty.",
            "INVALID_STYLE_SHEET": "Invalid style sheet.",
            "INVALID_ANNOTATION": "Invalid annotation payload.",
            "INVALID_PROMPT": "Invalid prompt.",
            "INVALID_IMAGE": "The body is not a supported image.",
            "MISSING_KEY": "apiKey is required.",
            "KEY_TOO_LARGE": "The key is too long.",
            "INVALID_KEY_FORMAT": "The key format is not valid for this provider.",
            "KEY_VALIDATION_FAILED": "The provider rejected the key.",
            "ENV_KEY_IMMUTABLE": "Keys from the environment cannot be changed through the API.",
            "INVALID_JSON": "The service account is not valid JSON.",
            "INVALID_SERVICE_ACCOUNT": 'The service account must have type "service_account" and a project_id.',
            "INVALID_MODE": 'mode must be "apikey" or "vertex".',
            "INVALID_SWITCH_PROVIDER": 'provider must be "grok" or "codex".',
            "INVALID_SWITCH_FLOW": 'flow must be "device".',
            "LOCAL_PATH_REJECTED": "The request path is not allowed.",
            # Library: history, sessions, style sheets, canvas, import, metadata, prompts
            "BROWSER_ID_REQUIRED": "X-Ima2-Browser-Id header is required.",
            "INVALID_SHEET": "styleSheet must be an object or null.",
            "INVALID_ENABLED": "enabled must be a boolean.",
            "STYLE_SHEET_BAD_INPUT": "prompt required",
            "EMPTY_IMPORT": "Image body is required.",
            "IMPORT_BAD_FORMAT": "Only PNG, JPEG, or WebP is supported.",
            "EMPTY_CANVAS_VERSION": "PNG body is required.",
            "CANVAS_VERSION_NOT_PNG": "Canvas version body must be a PNG image.",
            "CANVAS_SOURCE_REQUIRED": "sourceFilename is required.",
            "INVALID_CANVAS_VERSION_FILENAME": "Invalid canvas version filename.",
            "IMAGE_METADATA_INVALID": "A base64 image data URL is required.",
            "IMAGE_METADATA_UNSUPPORTED_FORMAT": "Only PNG, JPEG, and WebP metadata can be inspected.",
            "INVALID_FOLDER": "Folder name is required.",
        },
    ),
    **_codes(
        401,
        {
            "API_KEY_REQUIRED": 'provider "api" needs an OpenAI API key.',
            "AUTH_CHATGPT_EXPIRED": "The ChatGPT/Codex session has expired; sign in again.",
            "AUTH_API_KEY_INVALID": "The API key is invalid, revoked, out of quota or for the wrong org.",
            "GEMINI_API_KEY_MISSING": "No Gemini API key or Vertex AI credentials are configured.",
            "GROK_API_KEY_MISSING": "No xAI API key is configured.",
            "OAUTH_SESSION_REQUIRED": "No ChatGPT/Codex session is stored; sign in first.",
            "ACCESS_TOKEN_REQUIRED": "An access token is required.",
        },
    ),
    **_codes(
        403,
        {
            "APIKEY_DISABLED": "API-key generation is disabled.",
            "LOCAL_HOST_REJECTED": "The Host header does not match this server.",
            "LOCAL_ORIGIN_REJECTED": "The request origin is not allowed.",
        },
    ),
    **_codes(
        404,
        {
            "NOT_FOUND": "Not found.",
            "ASSET_NOT_FOUND": "The file was not found.",
            "NODE_NOT_FOUND": "Node metadata was not found.",
            "SESSION_NOT_FOUND": "Session not found.",
            "PROMPT_NOT_FOUND": "Prompt not found.",
            "FOLDER_NOT_FOUND": "Folder not found.",
            "TRASH_NOT_FOUND": "Nothing to restore under that trash id.",
            "JOB_NOT_FOUND": "No such job.",
            "SWITCH_SESSION_NOT_FOUND": "Unknown account-switch session.",
            "CANVAS_VERSION_NOT_FOUND": "Canvas version not found.",
        },
    ),
    **_codes(
        409,
        {
            "REQUEST_ID_IN_USE": "requestId already has an active job.",
            "GRAPH_VERSION_CONFLICT": "The graph was saved against a stale version.",
            "GRAPH_PARENT_CONFLICT": "The graph parent changed.",
            "ASSET_EXISTS": "A file with that name already exists.",
            "FOLDER_EXISTS": "A folder with that name already exists in this parent.",
        },
    ),
    **_codes(
        413,
        {
            "PAYLOAD_TOO_LARGE": "The request body is too large.",
            "GRAPH_TOO_LARGE": "The graph exceeds the node or edge limit.",
            "IMAGE_METADATA_TOO_LARGE": "The image is too large to read metadata from.",
            "ANNOTATION_TOO_LARGE": "The annotation is too large.",
            "STYLE_SHEET_TOO_LARGE": "The style sheet is too large.",
        },
    ),
    **_codes(
        422,
        {
            "SAFETY_REFUSAL": "The upstream refused the request for safety reasons.",
            "MODERATION_REFUSED": "Content generation was refused by moderation.",
            "EMPTY_RESPONSE": "The upstream returned no image.",
            "STYLE_SHEET_EMPTY": "Empty response from the style-sheet model.",
            "STYLE_SHEET_PARSE": "The style-sheet model returned non-JSON.",
            "STYLE_SHEET_SHAPE": "The style-sheet model returned an invalid shape.",
        },
    ),
    **_codes(428, {"GRAPH_VERSION_REQUIRED": "If-Match with the current graph version is required."}),
    **_codes(
        429,
        {
            "TOO_MANY_JOBS": "Too many active generation jobs; retry shortly.",
            "RATE_LIMITED": "The upstream rate-limited the request.",
            "GROK_RATE_LIMITED": "xAI rate-limited the request.",
            "GEMINI_API_RATE_LIMITED": "Gemini rate-limited the request.",
            "AGY_QUOTA_EXHAUSTED": "The Gemini quota behind agy is exhausted.",
            "TOO_MANY_SWITCH_SESSIONS": "Too many pending account switches.",
            "LAN_AUTH_RATE_LIMITED": "Too many failed sign-ins; retry later.",
        },
    ),
    **_codes(499, {"GENERATION_CANCELED": "Generation canceled"}),
    **_codes(
        500,
        {
            "INTERNAL_ERROR": "Internal error.",
            "GENERATE_FAILED": "Generation failed.",
            "OPEN_GENERATED_DIR_FAILED": "The server could not open the generated image folder.",
            "GROK_VIDEO_FRAME_FAILED": "The server could not extract the video frame.",
            "STORAGE_FAILED": "The file could not be stored.",
            "CONFIG_CORRUPT": "config.json is not valid JSON; fix or remove it first.",
        },
    ),
    **_codes(
        502,
        {
            "UPSTREAM_5XX": "The upstream failed.",
            "RESPONSES_IMAGE_ERROR": "The Responses API failed to produce an image.",
            "GROK_AUTH_FAILED": "The xAI request could not be authenticated.",
            "GROK_UPSTREAM_ERROR": "xAI failed.",
            "GROK_SEARCH_NETWORK_FAILED": "The xAI search call could not reach the upstream.",
            "GROK_PLANNER_NETWORK_FAILED": "The xAI planner call could not reach the upstream.",
            "GROK_IMAGE_NETWORK_FAILED": "The xAI image call could not reach the upstream.",
            "GROK_SEARCH_EMPTY_RESPONSE": "The xAI search returned no brief.",
            "GROK_PLANNER_EMPTY_TOOL_CALL": "The planner did not call generate_image.",
            "GROK_PLANNER_INVALID_TOOL_ARGS": "The planner returned invalid arguments.",
            "GROK_EMPTY_RESPONSE": "xAI returned no image.",
            "GROK_IMAGE_DOWNLOAD_FAILED": "The xAI image could not be downloaded.",
            "GEMINI_API_UPSTREAM_ERROR": "Gemini failed.",
            "GEMINI_API_NO_IMAGE": "Gemini returned no image.",
            "GEMINI_API_NETWORK_FAILED": "Gemini could not be reached.",
            "AGY_GENERATION_FAILED": "Gemini (agy) image generation failed.",
            "AGY_PROCESS_ERROR": "The agy CLI failed to start or crashed.",
            "AGY_PARSE_FAILED": "Could not parse the artifact path from agy output.",
            "AGY_MALFORMED_RESULT": "agy printed a malformed RESULT line.",
            "AGY_ARTIFACT_NOT_FOUND": "The agy artifact does not exist.",
            "AGY_ARTIFACT_TOO_LARGE": "The agy artifact is too large.",
            "AGY_PATH_REJECTED": "The agy artifact lies outside the allowed folders.",
            "GROK_VIDEO_FAILED": "xAI video generation failed.",
            "GROK_VIDEO_POLL_FAILED": "Polling the xAI video job failed.",
            "GROK_VIDEO_EXPIRED": "The xAI video job expired.",
            "GROK_VIDEO_MODERATION_BLOCKED": "The video was blocked by moderation.",
            "GROK_VIDEO_EMPTY_RESPONSE": "xAI returned no video.",
            "GROK_VIDEO_DOWNLOAD_FAILED": "The video could not be downloaded.",
            "GROK_VIDEO_REQUEST_FAILED": "xAI refused the video request.",
            "KEY_CHECK_FAILED": "The key could not be checked upstream.",
            "SWITCH_START_FAILED": "The account switch could not start.",
        },
    ),
    **_codes(
        503,
        {
            "OAUTH_UNAVAILABLE": "The OAuth proxy is not available.",
            "NETWORK_FAILED": "The upstream could not be reached (network, proxy, VPN or firewall).",
            "SSE_CAPACITY": "Too many event listeners.",
            "SERVICE_UNAVAILABLE": "A backend service is unavailable.",
            "EVENTS_UNAVAILABLE": "The event backbone is unavailable.",
        },
    ),
    **_codes(
        504,
        {
            "OAUTH_IMAGE_TIMEOUT": "The OAuth image call timed out.",
            "RESPONSES_IMAGE_TIMEOUT": "The Responses API image call timed out.",
            "GENERATION_TIMEOUT": "Generation timed out.",
            "GROK_SEARCH_TIMEOUT": "The Grok search step timed out.",
            "GROK_PLANNER_TIMEOUT": "The Grok planner step timed out.",
            "GROK_IMAGE_TIMEOUT": "The Grok image step timed out.",
            "GROK_VIDEO_TIMEOUT": "The Grok video job timed out.",
            "AGY_TIMEOUT": "The agy CLI exceeded its time limit.",
            "JOB_TRACKING_TIMEOUT": "The job stopped reporting progress.",
        },
    ),
    # Prompt builder (nested envelope)
    **_codes(
        400,
        {
            "PROMPT_BUILDER_BAD_BACKEND": "backend must be one of: auto, oauth, grok, api, grok-api.",
            "PROMPT_BUILDER_BAD_MODEL": "This model is not in the prompt builder's catalogue for that backend.",
            "PROMPT_BUILDER_BAD_MESSAGES": "messages must be an array of {role, content} objects.",
            "PROMPT_BUILDER_EMPTY_MESSAGE": "The last message must be a non-empty user message.",
            "PROMPT_BUILDER_BAD_CONTEXT": "context must be a JSON object.",
        },
    ),
    **_codes(
        401,
        {
            "PROMPT_BUILDER_API_KEY_REQUIRED": "An OpenAI API key is required for the prompt builder.",
            "PROMPT_BUILDER_XAI_KEY_REQUIRED": "An xAI API key is required for the prompt builder.",
        },
    ),
    **_codes(
        409,
        {"PROMPT_BUILDER_CONFIG_ENV_LOCKED": "Prompt builder config is managed by environment variables."},
    ),
    **_codes(
        502,
        {
            "PROMPT_BUILDER_UPSTREAM_FAILED": "The prompt builder's upstream failed.",
            "PROMPT_BUILDER_EMPTY_RESPONSE": "The prompt builder returned an empty response.",
        },
    ),
    **_codes(
        503,
        {
            "PROMPT_BUILDER_NO_BACKEND_READY": "No prompt builder backend is ready.",
            "PROMPT_BUILDER_OAUTH_UNAVAILABLE": "The OAuth backend is unavailable for the prompt builder.",
            "PROMPT_BUILDER_GROK_UNAVAILABLE": "The Grok backend is unavailable for the prompt builder.",
        },
    ),
    **_codes(504, {"PROMPT_BUILDER_TIMEOUT": "The prompt builder timed out."}),
    # Card news (nested envelope; the routes exist only with features.cardNews)
    **_codes(
        400,
        {
            "CARD_NEWS_CARDS_REQUIRED": "cards are required.",
            "CARD_NEWS_BAD_TEMPLATE_ID": "Invalid template id.",
            "CARD_NEWS_BAD_REQUEST": "The card news request is not valid.",
        },
    ),
    **_codes(
        404,
        {
            "CARD_NEWS_TEMPLATE_NOT_REGISTERED": "Template is not registered.",
            "CARD_NEWS_SET_NOT_FOUND": "Card News set not found.",
            "CARD_NEWS_JOB_NOT_FOUND": "Job not found.",
            "CARD_NEWS_CARD_NOT_FOUND": "Card not found in this set.",
        },
    ),
    **_codes(
        409,
        {
            "CARD_NEWS_NOTHING_TO_RETRY": "No failed card of this job to retry.",
            "CARD_NEWS_SET_BUSY": "A job of this set is still running.",
        },
    ),
    **_codes(422, {"PLANNER_SCHEMA_INVALID": "Planner schema invalid."}),
    **_codes(502, {"CARD_NEWS_CARD_FAILED": "Card generation failed."}),
    **_codes(503, {"PLANNER_UNAVAILABLE": "Planner unavailable."}),
    # Agent Mode (nested envelope; docs/agent-mode.md)
    **_codes(
        400,
        {
            "AGENT_PROMPT_REQUIRED": "Prompt is required.",
            "AGENT_UNKNOWN_COMMAND": "Unknown slash command; /help lists them.",
            "AGENT_INVALID_SETTINGS": "Invalid Agent session settings.",
        },
    ),
    **_codes(
        404,
        {
            "AGENT_SESSION_NOT_FOUND": "Agent session not found.",
            "AGENT_IMAGE_NOT_FOUND": "Agent image not found.",
            "AGENT_QUEUE_ITEM_NOT_FOUND": "Agent queue item not found.",
        },
    ),
    **_codes(
        409,
        {
            "AGENT_QUEUE_CANCEL_FAILED": "Only queued or running Agent work can be canceled.",
            "AGENT_QUEUE_RETRY_FAILED": "Only failed or canceled Agent work can be retried.",
            "AGENT_NO_CURRENT_IMAGE": "The session has no current image to edit.",
        },
    ),
    **_codes(502, {"AGENT_PLANNER_FAILED": "The Agent planner could not plan this message."}),
    # ComfyUI export ({ok:false, error:{code,message}})
    **_codes(
        400,
        {
            "COMFY_IMAGE_INVALID": "The generated filename is invalid or not a supported image.",
            "COMFY_URL_NOT_LOCAL": "The ComfyUI URL must be a local http origin.",
        },
    ),
    **_codes(404, {"COMFY_IMAGE_NOT_FOUND": "Generated image was not found."}),
    **_codes(
        502,
        {
            "COMFY_UPLOAD_FAILED": "ComfyUI refused the upload.",
            "COMFY_UNREACHABLE": "ComfyUI could not be reached.",
        },
    ),
    **_codes(504, {"COMFY_TIMEOUT": "ComfyUI did not answer in time."}),
    # Prompt import from GitHub (nested envelope)
    **_codes(
        400,
        {
            "INVALID_GITHUB_SOURCE": "Enter a GitHub file URL or owner/repo:path.",
            "UNSUPPORTED_EXTENSION": "Only .md, .markdown and .txt files are supported.",
            "GITHUB_FOLDER_UNSUPPORTED": "Enter a GitHub folder URL or owner/repo:path/.",
            "GITHUB_PATH_TOO_DEEP": "The GitHub path has too many folders.",
            "GITHUB_DISCOVERY_REVIEW_INVALID": "The discovery review is invalid.",
        },
    ),
    **_codes(
        404,
        {
            "GITHUB_FOLDER_NOT_FOUND": "GitHub folder was not found.",
            "PROMPT_IMPORT_SOURCE_NOT_FOUND": "Prompt source was not found.",
            "GITHUB_DISCOVERY_SOURCE_NOT_FOUND": "Discovery candidate was not found.",
        },
    ),
    **_codes(
        413,
        {
            "REMOTE_FILE_TOO_LARGE": "Remote file is too large.",
            "GITHUB_FOLDER_FILE_TOO_LARGE": "Folder file is too large.",
            "GITHUB_FOLDER_SELECTION_TOO_LARGE": "Too many folder files selected.",
            "PROMPT_IMPORT_TOO_MANY_CANDIDATES": "Too many prompt candidates.",
            "GITHUB_DISCOVERY_TOO_MANY_QUERIES": "Too many discovery queries.",
        },
    ),
    **_codes(
        422,
        {
            "PROMPT_IMPORT_EMPTY": "No prompt candidates were found.",
            "FOLDER_IMPORT_DEFERRED": "This is a folder; use the folder import.",
            "AMBIGUOUS_GITHUB_REF": "Branches with slashes are not supported.",
            "GITHUB_FOLDER_SELECTION_EMPTY": "Select at least one file of the listed folder.",
            "GITHUB_DISCOVERY_FAILED": "GitHub discovery failed.",
            "PROMPT_IMPORT_SOURCE_UNAVAILABLE": "This source needs a review before it can be indexed.",
        },
    ),
    **_codes(
        429,
        {
            "GITHUB_RATE_LIMITED": "GitHub's API rate limit is exhausted; add a GitHub token or wait.",
            "PROMPT_IMPORT_RATE_LIMITED": "Too many prompt import requests; wait a minute.",
        },
    ),
    **_codes(
        502,
        {
            "GITHUB_AUTH_FAILED": "GitHub refused the configured token.",
            "GITHUB_UNREACHABLE": "GitHub could not be reached.",
        },
    ),
    **_codes(504, {"REMOTE_FETCH_TIMEOUT": "GitHub fetch timed out."}),
}


def spec_for(code: str) -> ErrorSpec:
    return CATALOGUE.get(code) or CATALOGUE["INTERNAL_ERROR"]


class UpstreamFields(TypedDict, total=False):
    """What an upstream said about a failure, passed on as `Ima2Error(..., **fields)`."""

    upstream_code: str | None
    upstream_type: str | None
    upstream_param: str | None


@dataclass
class Ima2Error(Exception):
    """A domain error with a catalogue code. `status` defaults to the catalogue's."""

    code: str
    message: str = ""
    status: int = 0
    upstream_code: str | None = None
    upstream_type: str | None = None
    upstream_param: str | None = None
    diagnostic_reason: str | None = None
    retry_kind: str | None = None
    guidance: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = spec_for(self.code)
        if not self.message:
            self.message = spec.message
        if not self.status:
            self.status = spec.status
        super().__init__(f"{self.code}: {self.message}")


def error_payload(err: Ima2Error) -> dict[str, Any]:
    """The SSE error frame: {error, code, status, ...upstream details when present}."""
    payload: dict[str, Any] = {"error": err.message, "code": err.code, "status": err.status}
    optional = {
        "upstreamCode": err.upstream_code,
        "upstreamType": err.upstream_type,
        "upstreamParam": err.upstream_param,
        "diagnosticReason": err.diagnostic_reason,
        "retryKind": err.retry_kind,
        "guidance": err.guidance,
    }
    payload.update({k: v for k, v in optional.items() if v})
    payload.update(err.extra)
    return payload
