"""`gemini-api`: Gemini image models through the direct API (`x-goog-api-key`) or Vertex AI (a
service-account bearer). The saved geminiAuthMode picks when both are configured (saving a service
account sets it to `vertex`); with only one configured, that one is used.

Direct:  POST {gemini}/models/{id}:generateContent with snake_case
         `generation_config.response_format.image` (enum names).
Vertex:  POST {vertex}/projects/{p}/locations/global/publishers/google/models/{id}:generateContent with
         camelCase `generationConfig.imageConfig` (plain strings).
`size: "auto"` omits the image config on both paths.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ima2_common import catalog
from ima2_common.errors import Ima2Error, UpstreamFields
from ima2_common.logging import log_fields
from ima2_common.media import decode_base64, sniff_mime
from ima2_image.providers import refs
from ima2_image.providers.base import GeneratedImage, ImageCall, ProviderResult, gather_attempts
from ima2_image.providers.credentials import CredentialSource
from ima2_image.providers.gemini_sizes import ImageConfig, cost_usd, image_config, model_id
from ima2_image.providers.vertex_auth import ServiceAccount, VertexTokenCache, parse_service_account

log = logging.getLogger(__name__)

LOCATION = "global"
MODALITIES = ["TEXT", "IMAGE"]
SAFETY_REASONS = {
    "SAFETY",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
}


@dataclass(frozen=True)
class Route:
    mode: str  # apikey | vertex
    api_key: str = ""
    account: ServiceAccount | None = None


def _google_fields(body: Any) -> UpstreamFields:
    """upstreamCode = the canonical status (INVALID_ARGUMENT, …); upstreamType = the ErrorInfo reason."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return {"upstream_code": None, "upstream_type": None}
    reason = next(
        (
            d.get("reason")
            for d in error.get("details") or []
            if isinstance(d, dict) and isinstance(d.get("reason"), str)
        ),
        None,
    )
    status = error.get("status")
    return {
        "upstream_code": str(status)[:120] if status else None,
        "upstream_type": str(reason)[:120] if reason else None,
    }


def classify_http(status: int, body: Any) -> Ima2Error:
    fields = _google_fields(body)
    if status == 429:
        return Ima2Error("GEMINI_API_RATE_LIMITED", **fields)
    if status in (400, 403):
        return Ima2Error("GEMINI_API_BAD_REQUEST", status=status, **fields)
    return Ima2Error("GEMINI_API_UPSTREAM_ERROR", **fields)


def parse_answer(body: Any) -> tuple[GeneratedImage, dict[str, Any]]:
    """The last inlineData part is the image; the text parts are the revised prompt."""
    body = body if isinstance(body, dict) else {}
    candidates = body.get("candidates") if isinstance(body.get("candidates"), list) else []
    first = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
    parts = (first.get("content") or {}).get("parts") or []
    image: tuple[bytes, str] | None = None
    texts: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        inline = part.get("inlineData") or part.get("inline_data")
        if isinstance(inline, dict) and isinstance(inline.get("data"), str) and inline["data"]:
            try:
                data = decode_base64(inline["data"])
            except ValueError:
                continue
            image = (data, sniff_mime(data) or str(inline.get("mimeType") or inline.get("mime_type") or ""))
        elif isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"].strip())
    if image is None or not image[1].startswith("image/"):
        block = (body.get("promptFeedback") or {}).get("blockReason")
        finish = first.get("finishReason")
        if block:
            raise Ima2Error(
                "GEMINI_API_SAFETY_BLOCKED", upstream_code=str(block)[:120], upstream_type="prompt"
            )
        if finish in SAFETY_REASONS:
            raise Ima2Error("GEMINI_API_SAFETY_BLOCKED", upstream_code=str(finish), upstream_type="candidate")
        raise Ima2Error("GEMINI_API_NO_IMAGE", upstream_code=str(finish)[:120] if finish else None)
    meta = body.get("usageMetadata") or {}
    usage = {
        "promptTokens": meta.get("promptTokenCount"),
        "candidatesTokens": meta.get("candidatesTokenCount"),
        "totalTokens": meta.get("totalTokenCount"),
    }
    revised = " ".join(t for t in texts if t)
    return GeneratedImage(data=image[0], mime=image[1], revised_prompt=revised), usage


class GeminiImageProvider:
    name = "gemini-api"

    def __init__(
        self,
        gemini_base_url: str,
        vertex_base_url: str,
        http: httpx.AsyncClient,
        credentials: CredentialSource,
        tokens: VertexTokenCache,
        timeout_seconds: float,
    ) -> None:
        self.gemini_base_url = gemini_base_url.rstrip("/")
        self.vertex_base_url = vertex_base_url.rstrip("/")
        self.http = http
        self.credentials = credentials
        self.tokens = tokens
        self.timeout_seconds = timeout_seconds
        self._route: Route | None = None

    async def check_ready(self) -> None:
        """The saved geminiAuthMode decides when both are configured: Vertex when the mode is
        `vertex` (or there is no API key) and a service account is configured, else the API key,
        else GEMINI_API_KEY_MISSING."""
        vertex, gemini = await asyncio.gather(self.credentials.get("vertex"), self.credentials.get("gemini"))
        mode = vertex.auth_mode or gemini.auth_mode or "apikey"
        if vertex.secret.strip() and (mode == "vertex" or not gemini.secret.strip()):
            account = parse_service_account(vertex.secret, vertex.project_id)
            self._route = Route("vertex", account=account)
        elif gemini.secret.strip():
            self._route = Route("apikey", api_key=gemini.secret.strip())
        else:
            raise Ima2Error("GEMINI_API_KEY_MISSING")

    @property
    def auth_mode(self) -> str:
        return self._route.mode if self._route else ""

    async def generate(self, call: ImageCall) -> ProviderResult:
        if self._route is None:
            await self.check_ready()
        if call.mask:
            raise Ima2Error("GEMINI_MASK_UNSUPPORTED")
        model = call.model or catalog.GEMINI_DEFAULT_MODEL
        config = image_config(call.size, model)
        inputs = refs.load_all(call.references)
        attempts = 1 if call.max_images > 1 else max(1, call.count)  # multimode: one image
        result = ProviderResult(images=[])
        usages: list[dict[str, Any]] = []

        async def attempt() -> None:
            image, usage = await self._once(call, model, config, inputs)
            usages.append(usage)
            index = len(result.images)
            result.images.append(image)
            if call.on_image is not None:
                await call.on_image(image, index)

        _, result.failures = await gather_attempts(attempt() for _ in range(attempts))
        if not result.images:
            raise result.failures[0]
        result.usage = self._usage(usages, model, config, len(result.images))
        return result

    def _usage(
        self, usages: list[dict[str, Any]], model: str, config: ImageConfig | None, images: int
    ) -> dict[str, Any]:
        usage: dict[str, Any] = {}
        for key in ("promptTokens", "candidatesTokens", "totalTokens"):
            values = [u[key] for u in usages if isinstance(u.get(key), int)]
            usage[key] = sum(values) if values else None
        price = cost_usd(model, config)
        if price is not None:
            usage["costUsd"] = round(price * images, 6)
        return usage

    def _body(
        self, call: ImageCall, config: ImageConfig | None, inputs: list[refs.Reference]
    ) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [
            {"inlineData": {"mimeType": r.mime, "data": base64.b64encode(r.data).decode()}} for r in inputs
        ]
        parts.append({"text": call.prompt})
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": parts}]}
        if self.auth_mode == "vertex":
            generation: dict[str, Any] = {"responseModalities": MODALITIES}
            if config is not None:
                generation["imageConfig"] = config.vertex()
            body["generationConfig"] = generation
        else:
            generation = {"response_modalities": MODALITIES}
            if config is not None:
                generation["response_format"] = {"image": config.direct()}
            body["generation_config"] = generation
        return body

    async def _request(self, model: str, payload: bytes, retry_auth: bool = True) -> httpx.Response:
        route = self._route
        assert route is not None
        headers = {"Content-Type": "application/json"}
        if route.mode == "vertex":
            assert route.account is not None
            token = await self.tokens.token(self.http, route.account, self.timeout_seconds)
            headers["Authorization"] = f"Bearer {token}"
            url = (
                f"{self.vertex_base_url}/projects/{route.account.project_id}/locations/{LOCATION}"
                f"/publishers/google/models/{model_id(model)}:generateContent"
            )
        else:
            headers["x-goog-api-key"] = route.api_key
            url = f"{self.gemini_base_url}/models/{model_id(model)}:generateContent"
        response = await self.http.post(url, content=payload, headers=headers, timeout=self.timeout_seconds)
        if response.status_code == 401 and route.mode == "vertex" and retry_auth and route.account:
            self.tokens.invalidate(route.account)  # an expired or revoked token: mint a new one, once
            return await self._request(model, payload, retry_auth=False)
        return response

    async def _once(
        self, call: ImageCall, model: str, config: ImageConfig | None, inputs: list[refs.Reference]
    ) -> tuple[GeneratedImage, dict[str, Any]]:
        payload = json.dumps(self._body(call, config, inputs)).encode()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._request(model, payload)
        except (TimeoutError, httpx.TimeoutException):
            raise Ima2Error("GENERATION_TIMEOUT") from None
        except httpx.HTTPError:
            raise Ima2Error("GEMINI_API_NETWORK_FAILED") from None
        log.info(
            "gemini upstream call",
            extra=log_fields(
                provider=self.name,
                authMode=self.auth_mode,
                status=response.status_code,
                elapsedMs=round((time.monotonic() - started) * 1000),
            ),
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            raise classify_http(response.status_code, body)
        return parse_answer(body)
