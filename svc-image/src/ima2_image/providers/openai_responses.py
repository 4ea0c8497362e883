"""OpenAI Responses API with the hosted image_generation tool (providers `api` and `oauth`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ima2_common.errors import Ima2Error
from ima2_common.media import decode_base64, sniff_mime, strip_data_url
from ima2_image.providers.base import GeneratedImage, ImageCall, ProviderResult, gather_attempts
from ima2_image.providers.openai_errors import classify, from_transport, is_retryable
from ima2_image.providers.sse import iter_sse_json

GENERATE_DEV_PROMPT = (
    "You are an image generation assistant. Call the image_generation tool to create the image the "
    "user asks for. Preserve any exact text the user wants visible."
)
EDIT_DEV_PROMPT = (
    "You are an image editing assistant. The first input image is the image to edit; later images are "
    "references. Call the image_generation tool to produce the edited image."
)
MULTI_DEV_PROMPT = (
    "Produce up to {n} separate image_generation_call outputs that form one sequence. "
    "Never combine them into a collage or grid."
)
MASK_NOTE = "The previous image is a mask: edit only the transparent region it marks (guidance, not exact)."
RESEARCH_SUFFIX = " Research the subject first if it helps accuracy."
PARTIAL_IMAGES = 2

SecretSource = Callable[[], Awaitable[str]]


def _input_image(value: str, default_mime: str = "image/png") -> dict[str, str]:
    mime, payload = strip_data_url(value)
    return {"type": "input_image", "image_url": f"data:{mime or default_mime};base64,{payload}"}


def build_payload(call: ImageCall, stream: bool, prompt_only: bool = False) -> dict[str, Any]:
    if call.prompt_mode == "direct":
        text = f"Generate an image with this exact prompt, no modifications: {call.prompt}"
    elif call.edit:
        text = f"Edit this image: {call.prompt}"
    else:
        text = f"Generate an image: {call.prompt}"
    if call.web_search and not prompt_only and call.prompt_mode != "direct":
        text += RESEARCH_SUFFIX
    tool: dict[str, Any] = {
        "type": "image_generation",
        "quality": call.quality,
        "size": call.size,
        "moderation": call.moderation,
        "output_format": call.format,
    }
    content: Any = text
    images = [] if prompt_only and not call.edit else [_input_image(r) for r in call.references]
    if call.mask and not prompt_only:
        images += [_input_image(call.mask), {"type": "input_text", "text": MASK_NOTE}]
    if images:
        content = [*images, {"type": "input_text", "text": text}]
    payload: dict[str, Any] = {"model": call.model, "input": [], "stream": stream}
    if not prompt_only:
        developer = EDIT_DEV_PROMPT if call.edit else GENERATE_DEV_PROMPT
        if call.max_images > 1:
            developer += " " + MULTI_DEV_PROMPT.format(n=call.max_images)
        payload["input"].append({"role": "developer", "content": developer})
        payload["reasoning"] = {"effort": call.reasoning_effort}
    payload["input"].append({"role": "user", "content": content})
    tools: list[dict[str, Any]] = []
    if call.web_search and not prompt_only:
        tools.append({"type": "web_search"})
    if stream and call.on_partial is not None:  # previews only where a job shows them (node, multimode)
        tool["partial_images"] = PARTIAL_IMAGES
    tools.append(tool)
    payload["tools"] = tools
    payload["tool_choice"] = "required" if call.max_images > 1 else {"type": "image_generation"}
    return payload


def _image_from_item(item: dict[str, Any]) -> GeneratedImage | None:
    result = item.get("result")
    if item.get("type") != "image_generation_call" or not isinstance(result, str) or not result:
        return None
    mime, payload = strip_data_url(result)
    data = decode_base64(payload)
    return GeneratedImage(
        data=data,
        mime=sniff_mime(data) or mime or "image/png",
        revised_prompt=str(item.get("revised_prompt") or ""),
    )


class ResponsesImageProvider:
    """`api` sends a Bearer key; `oauth` goes through the local Codex OAuth proxy (no auth header)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        http: httpx.AsyncClient,
        secret: SecretSource | None,
        missing_key_code: str,
        timeout_code: str,
        unreachable_code: str,
        timeout_seconds: float,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.secret = secret
        self.missing_key_code = missing_key_code
        self.timeout_code = timeout_code
        self.unreachable_code = unreachable_code
        self.timeout_seconds = timeout_seconds
        self._key = ""
        self._delivered = 0  # images handed to call.on_image so far (this job)

    async def check_ready(self) -> None:
        if self.secret is None:
            return
        self._key = await self.secret()
        if not self._key:
            raise Ima2Error(self.missing_key_code)
        if any(ord(c) < 32 for c in self._key):
            raise Ima2Error("AUTH_API_KEY_INVALID")

    def _headers(self, stream: bool) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def generate(self, call: ImageCall) -> ProviderResult:
        """`count` independent upstream calls in parallel (each retried once per the route rule)."""
        if call.count <= 1:
            return await self._attempt(call)
        results, failures = await gather_attempts(self._attempt(call) for _ in range(call.count))
        if not results:
            raise failures[0]
        return ProviderResult(
            images=[image for r in results for image in r.images],
            usage=results[0].usage,
            web_search_calls=max(r.web_search_calls for r in results),
            failures=failures,
        )

    async def _attempt(self, call: ImageCall) -> ProviderResult:
        try:
            return await self._once(call)
        except Ima2Error as err:
            if not is_retryable(err) or (call.max_images > 1 and self._delivered):
                raise  # a sequence whose first images were already delivered is not started over
        try:
            return await self._once(call)
        except Ima2Error as err:
            if err.code == "MODERATION_REFUSED":
                raise Ima2Error(
                    "SAFETY_REFUSAL",
                    upstream_code=err.upstream_code,
                    upstream_type=err.upstream_type,
                    upstream_param=err.upstream_param,
                ) from None
            raise

    async def _once(self, call: ImageCall) -> ProviderResult:
        result = await self._stream(call)
        if result.images:
            return result
        fallback = await self._json(call)
        fallback.retry_kind = "prompt_only"
        fallback.web_search_calls = max(fallback.web_search_calls, result.web_search_calls)
        if not fallback.images:
            raise Ima2Error(
                "EMPTY_RESPONSE",
                retry_kind="prompt_only",
                diagnostic_reason="experimental_4k_empty_response" if "3840" in call.size else None,
            )
        return fallback

    # Hooks for the transports built on this one (the Codex backend in codex.py).

    def _url(self) -> str:
        return f"{self.base_url}/responses"

    def _prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    async def _on_unauthorized(self) -> bool:
        """After a 401: True when fresh credentials are in place and the request may be sent again."""
        return False

    def _classify(self, status: int, body: Any) -> Ima2Error:
        return classify(status, body)

    async def _send(self, payload: bytes, stream: bool) -> httpx.Response:
        request = self.http.build_request(
            "POST",
            self._url(),
            headers=self._headers(stream),
            content=payload,
            timeout=httpx.Timeout(self.timeout_seconds, connect=10.0),
        )
        try:
            return await self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise from_transport(exc, self.timeout_code, self.unreachable_code) from None

    @staticmethod
    async def _error_body(response: httpx.Response) -> Any:
        try:
            return json.loads(await response.aread())
        except (json.JSONDecodeError, httpx.HTTPError):
            return {}
        finally:
            await response.aclose()

    async def _post(self, payload: dict[str, Any], stream: bool) -> httpx.Response:
        content = json.dumps(self._prepare(payload)).encode()
        response = await self._send(content, stream)
        if response.status_code == 401:
            body = await self._error_body(response)
            if not await self._on_unauthorized():
                raise self._classify(401, body)
            response = await self._send(content, stream)
        if response.status_code >= 400:
            raise self._classify(response.status_code, await self._error_body(response))
        return response

    async def _stream(self, call: ImageCall) -> ProviderResult:
        return await self._collect(build_payload(call, stream=True), call, stream=True)

    async def _collect(self, payload: dict[str, Any], call: ImageCall, stream: bool) -> ProviderResult:
        """POST and gather the images of an SSE answer (or of a JSON one, by its content type)."""
        response = await self._post(payload, stream=stream)
        result = ProviderResult(images=[])
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                parsed = self._parse_json(json.loads(await response.aread()), call)
                for image in parsed.images:
                    await self._deliver(call, image)
                return parsed
            async for event in iter_sse_json(response):
                await self._on_stream_event(event, call, result)
        except httpx.HTTPError as exc:
            raise from_transport(exc, self.timeout_code, self.unreachable_code) from None
        except json.JSONDecodeError as exc:
            raise Ima2Error("RESPONSES_IMAGE_ERROR") from exc
        finally:
            await response.aclose()
        result.images = result.images[: call.max_images]
        return result

    async def _on_stream_event(self, event: dict[str, Any], call: ImageCall, result: ProviderResult) -> None:
        kind = str(event.get("type") or "")
        if kind == "error" or kind == "response.failed":
            body = event.get("response", event) if kind == "response.failed" else event
            raise self._classify(0, body)
        if "partial" in kind and call.on_partial is not None:
            b64 = event.get("partial_image_b64") or event.get("partial_image")
            if isinstance(b64, str) and b64:
                index = int(event.get("partial_image_index", event.get("index", 0)) or 0)
                await call.on_partial(decode_base64(b64), "image/png", index)
        elif kind == "response.output_item.done":
            item = event.get("item") or {}
            if item.get("type") == "web_search_call":
                result.web_search_calls += 1
            image = _image_from_item(item)
            if image is not None and len(result.images) < call.max_images:
                result.images.append(image)
                await self._deliver(call, image)
        elif kind == "response.completed":
            response = event.get("response") or {}
            result.usage = response.get("usage") or {}
            searches = ((response.get("tool_usage") or {}).get("web_search") or {}).get("num_requests")
            if isinstance(searches, int):
                result.web_search_calls = max(result.web_search_calls, searches)

    async def _json(self, call: ImageCall) -> ProviderResult:
        response = await self._post(build_payload(call, stream=False, prompt_only=True), stream=False)
        try:
            body = json.loads(await response.aread())
        except (json.JSONDecodeError, httpx.HTTPError) as exc:
            raise Ima2Error("RESPONSES_IMAGE_ERROR") from exc
        finally:
            await response.aclose()
        parsed = self._parse_json(body, call)
        for image in parsed.images:
            await self._deliver(call, image)
        return parsed

    async def _deliver(self, call: ImageCall, image: GeneratedImage) -> None:
        if call.on_image is not None:
            index = self._delivered
            self._delivered += 1
            await call.on_image(image, index)

    def _parse_json(self, body: dict[str, Any], call: ImageCall) -> ProviderResult:
        if body.get("status") == "failed" or body.get("error"):
            raise self._classify(0, body)
        output = body.get("output") or []
        images = [img for img in (_image_from_item(item) for item in output) if img is not None]
        searches = sum(1 for item in output if item.get("type") == "web_search_call")
        return ProviderResult(
            images=images[: call.max_images], usage=body.get("usage") or {}, web_search_calls=searches
        )
