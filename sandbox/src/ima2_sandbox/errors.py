"""Error bodies in each upstream's own envelope, and the default body of an injected fault."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

FAMILY = {
    "openai": "openai",
    "oauth": "openai",
    "codex": "openai",
    "openai-auth": "openai",
    "xai": "xai",
    "progrok": "xai",
    "billing": "xai",
    "gemini": "google",
    "vertex": "google",
    "google-oauth": "oauth2",
    "xai-auth": "oauth2",
}

OPENAI_RATE_HEADERS = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-remaining-tokens": "0",
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-reset-tokens": "6m0s",
}

# --- OpenAI: {"error":{"message","type","param","code"}} -------------------------------------


def openai_body(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def openai_error(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(openai_body(message, type_, code, param), status_code=status, headers=headers)


def openai_moderation_body() -> dict[str, Any]:
    return openai_body(
        "Your request was rejected by the safety system. If you believe this is an error, contact us "
        "at help.openai.com and include the request ID req_sandbox.",
        "image_generation_user_error",
        "moderation_blocked",
    )


def _openai_default(upstream: str, status: int) -> dict[str, Any]:
    if status == 401 and upstream in ("codex", "oauth"):
        return openai_body(
            "Provided authentication token is expired. Please try signing in again.",
            "invalid_request_error",
            "token_expired",
        )
    if status == 401:
        return openai_body(
            "Incorrect API key provided: sk-sandb**********ault. You can find your API key "
            "at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        )
    if status == 403:
        return openai_body(
            "Country, region, or territory not supported",
            "request_forbidden",
            "unsupported_country_region_territory",
        )
    if status == 404:
        return openai_body("The requested resource does not exist.", "invalid_request_error", "not_found")
    if status == 429:
        return openai_body(
            "Rate limit reached for gpt-image-1 in organization org-sandbox on requests per "
            "min (RPM): Limit 5, Used 5, Requested 1. Please try again in 1s.",
            "requests",
            "rate_limit_exceeded",
        )
    if status >= 500:
        return openai_body(
            "The server had an error while processing your request. Sorry about that!", "server_error", None
        )
    return openai_body("Invalid request (sandbox fault).", "invalid_request_error", "invalid_value")


# --- xAI: flat {"code":"<gRPC status text>","error":"<message>"} -----------------------------

XAI_CODES = {
    400: "Client specified an invalid argument",
    401: "The request does not have valid authentication credentials for the operation",
    403: "The caller does not have permission to execute the specified operation",
    404: "Some requested entity was not found",
    422: "Client specified an invalid argument",
    429: "Some resource has been exhausted",
    500: "Internal error",
    503: "The service is currently unavailable",
}
XAI_MESSAGES = {
    400: "Invalid request (sandbox fault).",
    401: "Missing or invalid Authorization header.",
    403: "Your team does not have permission to use this model or has no credits.",
    404: "The requested entity was not found.",
    429: "You have exceeded the rate limit for this model. Please slow down.",
    500: "Internal server error.",
    503: "The service is currently unavailable. Please try again later.",
}


def xai_body(status: int, message: str) -> dict[str, Any]:
    code = XAI_CODES.get(status) or (XAI_CODES[500] if status >= 500 else XAI_CODES[400])
    return {"code": code, "error": message}


def xai_error(status: int, message: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({**xai_body(status, message), **(extra or {})}, status_code=status)


def _xai_default(status: int) -> dict[str, Any]:
    default = XAI_MESSAGES[500] if status >= 500 else XAI_MESSAGES[400]
    return xai_body(status, XAI_MESSAGES.get(status, default))


# --- Google: {"error":{"code","message","status","details"}} ---------------------------------

GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "RESOURCE_EXHAUSTED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
GOOGLE_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential.",
    402: "Your prepaid credits are exhausted.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "You exceeded your current quota, please check your plan and billing details. Quota exceeded "
    "for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 20. "
    "Please retry in 19.4s.",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
GOOGLE_QUOTA_DETAILS = [
    {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                "quotaValue": "20",
            }
        ],
    },
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "19s"},
]


def google_body(
    status: int, message: str | None = None, details: list[Any] | None = None, status_text: str | None = None
) -> dict[str, Any]:
    text = status_text or GOOGLE_STATUS.get(status) or ("INTERNAL" if status >= 500 else "INVALID_ARGUMENT")
    error: dict[str, Any] = {
        "code": status,
        "message": message or GOOGLE_MESSAGES.get(status, ""),
        "status": text,
    }
    if details is None and status == 429:
        details = GOOGLE_QUOTA_DETAILS
    if details:
        error["details"] = details
    return {"error": error}


def google_error(
    status: int, message: str | None = None, details: list[Any] | None = None, status_text: str | None = None
) -> JSONResponse:
    return JSONResponse(google_body(status, message, details, status_text), status_code=status)


def google_bad_key() -> JSONResponse:
    message = "API key not valid. Please pass a valid API key."
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
    ]
    return google_error(400, message, details)


# --- OAuth 2 token servers: {"error","error_description"} ------------------------------------


def oauth2_error(status: int, error: str, description: str | None = None) -> JSONResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status)


def _oauth2_default(status: int) -> dict[str, Any]:
    error = {
        400: "invalid_request",
        401: "invalid_client",
        403: "access_denied",
        429: "rate_limit_exceeded",
    }.get(status, "server_error" if status >= 500 else "invalid_request")
    return {"error": error, "error_description": f"Sandbox fault ({status})."}


def default_fault_body(upstream: str, status: int) -> dict[str, Any]:
    family = FAMILY.get(upstream, "xai")
    if family == "openai":
        return _openai_default(upstream, status)
    if family == "google":
        return google_body(status)
    if family == "oauth2":
        return _oauth2_default(status)
    return _xai_default(status)


def default_fault_headers(upstream: str, status: int) -> dict[str, str]:
    if status != 429:
        return {}
    headers = {"Retry-After": "1"}
    if FAMILY.get(upstream) == "openai":
        headers.update(OPENAI_RATE_HEADERS)
    return headers
