"""`grok` (progrok / Grok OAuth) and `grok-api` (xAI key): the three-phase image pipeline.

1. search: `POST /responses` with the mandatory `web_search` tool (`tool_choice: "required"`);
2. planner: `POST /chat/completions` forcing the local `generate_image` function;
3. image: `POST /images/generations`, or `/images/edits` when input images are attached; the
   returned URL is downloaded.

Each phase has its own time budget. Search and planner are retried on 5xx and connection resets;
the billable image POST never is. Multimode and /api/edit (`direct_edit`) call the Images API
directly, without search and planner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import urlparse

import httpx

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import sniff_mime
from ima2_common.upstream_bodies import planned_prompt, responses_text
from ima2_image.providers import grok_errors, refs
from ima2_image.providers.base import GeneratedImage, ImageCall, ProviderResult, gather_attempts
from ima2_image.providers.credentials import CredentialSource
from ima2_image.providers.grok_sizes import map_size

log = logging.getLogger(__name__)

QUALITY_MODEL = "grok-imagine-image-quality"
TEXT_RETRIES = 2  # search and planner: attempts after the first, on 5xx or a connection reset
RETRY_BACKOFF = (0.25, 0.75)
DUMMY_BEARER = "dummy"  # the spec-era progrok proxy holds the session itself

SEARCH_SYSTEM = (
    "You are ima2's visual research assistant. You must use web_search before answering. Research the "
    "subject of the user's image request and return a concise brief of the visual facts an illustrator "
    "needs: appearance, proportions, materials, colours, setting, period details and any exact text. "
    "No preamble, no links list."
)
PLANNER_SYSTEM = (
    "You plan one image for xAI's image model. Call the generate_image function exactly once. Write its "
    "prompt as one rich paragraph that covers, in order: the main subject, the environment, lighting and "
    "mood, camera and lens, style, and quality boosters. Write the prompt in English, except for exact "
    "visible text the user asked for, which you keep verbatim in its original script inside quotes. "
    "Describe characters by their appearance, keep clothing benign, and when reference images are "
    "attached describe how the result must follow them. Do not reply with prose."
)
ENGLISH_RULE = (
    "Write the generate_image prompt in English only, except for exact visible text requested by the user."
)
PLANNER_TOOL = {
    "type": "function",
    "function": {
        "name": "generate_image",
        "description": "Generate one image with xAI's image model from the planned prompt.",
        "parameters": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "The final English image prompt."},
                "model": {
                    "type": "string",
                    "enum": ["grok-imagine-image-2.0", *catalog.GROK_IMAGE_MODELS],
                },
            },
            "required": ["prompt", "model"],
        },
    },
}


def _retryable(exc: httpx.HTTPError) -> bool:
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException)


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class GrokImageProvider:
    def __init__(
        self,
        name: str,
        base_url: str,
        http: httpx.AsyncClient,
        credentials: CredentialSource,
        *,
        credential_name: str,
        oauth: bool,
        planner_model: str,
        search_timeout: float,
        planner_timeout: float,
        image_timeout: float,
        download_timeout: float = limits.GROK_IMAGE_DOWNLOAD_TIMEOUT_SECONDS,
        download_max_bytes: int = limits.GROK_IMAGE_DOWNLOAD_MAX_BYTES,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.credentials = credentials
        self.credential_name = credential_name
        self.oauth = oauth
        self.planner_model = planner_model
        self.search_timeout = search_timeout
        self.planner_timeout = planner_timeout
        self.image_timeout = image_timeout
        self.download_timeout = download_timeout
        self.download_max_bytes = download_max_bytes
        self._bearer = ""
        self._refreshed = False

    # --- credentials ----------------------------------------------------------------------------

    async def check_ready(self) -> None:
        credential = await self.credentials.get(self.credential_name)
        secret = credential.secret.strip()
        if not self.oauth and not secret:
            raise Ima2Error("GROK_API_KEY_MISSING")
        self._bearer = secret or DUMMY_BEARER

    async def _refresh(self) -> bool:
        """After a 401 with a real OAuth bearer: one RefreshCredential per job."""
        if not self.oauth or self._bearer == DUMMY_BEARER or self._refreshed:
            return False
        self._refreshed = True
        try:
            credential = await self.credentials.refresh(self.credential_name, self._bearer)
        except Ima2Error:
            return False
        if not credential.secret or credential.secret == self._bearer:
            return False
        self._bearer = credential.secret
        return True

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._bearer}", "Content-Type": "application/json"}

    async def _post(self, path: str, payload: dict[str, Any], timeout: float) -> httpx.Response:
        """One POST; on a 401 with an OAuth bearer, refresh once and send again."""
        body = json.dumps(payload).encode()
        url = f"{self.base_url}{path}"
        response = await self.http.post(url, content=body, headers=self._headers(), timeout=timeout)
        if response.status_code == 401 and await self._refresh():
            response = await self.http.post(url, content=body, headers=self._headers(), timeout=timeout)
        return response

    # --- the pipeline ---------------------------------------------------------------------------

    async def generate(self, call: ImageCall) -> ProviderResult:
        if not self._bearer:
            await self.check_ready()
        if call.mask:
            raise Ima2Error("GROK_MASK_UNSUPPORTED")
        if len(call.references) > limits.GROK_MAX_INPUT_IMAGES:
            raise Ima2Error("GROK_REF_TOO_MANY")
        model = self._image_model(call)
        params = map_size(call.size)
        inputs = refs.load_all(call.references)
        if call.max_images > 1:  # multimode: each image straight to the Images API, one after another
            return await self._sequence(call, call.prompt, model, params, inputs)
        if call.direct_edit:  # /api/edit: straight to /images/edits
            return await self._parallel(call, call.prompt, model, params, inputs, web_search_calls=0)
        planner = call.planner_model or self.planner_model
        brief = await self._search(call, planner)
        prompt = await self._plan(call, planner, model, params, inputs, brief)
        return await self._parallel(call, prompt, model, params, inputs, web_search_calls=1, planned=True)

    def _image_model(self, call: ImageCall) -> str:
        model = call.model or catalog.GROK_DEFAULT_IMAGE_MODEL
        if model not in catalog.GROK_IMAGE_MODELS:
            raise Ima2Error("INVALID_GROK_IMAGE_MODEL")
        return QUALITY_MODEL if call.quality == "high" else model

    async def _text_call(self, stage: str, path: str, payload: dict[str, Any], budget: float) -> Any:
        """Search or planner: retried on 5xx and connection resets within the stage's budget."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                for attempt in range(TEXT_RETRIES + 1):
                    last = attempt == TEXT_RETRIES
                    try:
                        response = await self._post(path, payload, budget)
                    except httpx.TimeoutException:
                        raise grok_errors.timeout(stage) from None
                    except httpx.HTTPError as exc:
                        if _retryable(exc) and not last:
                            await asyncio.sleep(RETRY_BACKOFF[attempt])
                            continue
                        raise grok_errors.network(stage) from None
                    if response.status_code >= 500 and not last:
                        await asyncio.sleep(RETRY_BACKOFF[attempt])
                        continue
                    self._log(stage, response.status_code, started, attempt)
                    if response.status_code >= 400:
                        raise grok_errors.classify(stage, response.status_code, _json_body(response))
                    body = _json_body(response)
                    if not isinstance(body, dict):
                        raise Ima2Error("GROK_UPSTREAM_ERROR", upstream_type="invalid_json")
                    return body
        except TimeoutError:
            raise grok_errors.timeout(stage) from None
        raise AssertionError("unreachable")

    def _log(self, stage: str, status: int, started: float, attempt: int) -> None:
        log.info(
            "grok upstream call",
            extra=log_fields(
                provider=self.name,
                stage=stage,
                status=status,
                attempt=attempt + 1,
                elapsedMs=round((time.monotonic() - started) * 1000),
            ),
        )

    async def _search(self, call: ImageCall, planner: str) -> str:
        payload = {
            "model": planner,
            "stream": False,
            "input": [
                {"role": "system", "content": SEARCH_SYSTEM},
                {"role": "user", "content": call.prompt},
            ],
            "tools": [{"type": "web_search"}],
            "tool_choice": "required",
        }
        brief = responses_text(await self._text_call("search", "/responses", payload, self.search_timeout))
        if not brief:
            raise Ima2Error("GROK_SEARCH_EMPTY_RESPONSE")
        return brief

    async def _plan(
        self,
        call: ImageCall,
        planner: str,
        model: str,
        params: dict[str, str],
        inputs: list[refs.Reference],
        brief: str,
    ) -> str:
        lines = [
            f"Selected image model: {model}",
            f"Requested ima2 size: {call.size or 'auto'}; xAI parameters: {json.dumps(params)}",
            f"Reference images attached: {len(inputs)}"
            + (" (the first one is the image being edited)" if call.edit and inputs else ""),
            "Search brief:",
            brief or "unavailable",
            ENGLISH_RULE,
            "User prompt:",
            call.prompt,
        ]
        content: list[dict[str, Any]] = [{"type": "text", "text": "\n".join(lines)}]
        content += [{"type": "image_url", "image_url": {"url": r.data_url, "detail": "high"}} for r in inputs]
        payload = {
            "model": planner,
            "stream": False,
            "parallel_tool_calls": False,
            "messages": [
                {"role": "system", "content": PLANNER_SYSTEM},
                {"role": "user", "content": content},
            ],
            "tools": [PLANNER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "generate_image"}},
        }
        body = await self._text_call("planner", "/chat/completions", payload, self.planner_timeout)
        return planned_prompt(body, "generate_image")  # the user's model always wins over the planner's

    # --- images -----------------------------------------------------------------------------------

    async def _parallel(
        self,
        call: ImageCall,
        prompt: str,
        model: str,
        params: dict[str, str],
        inputs: list[refs.Reference],
        web_search_calls: int,
        planned: bool = False,
    ) -> ProviderResult:
        """`count` independent image calls at once; the successes are kept."""
        result = ProviderResult(images=[], web_search_calls=web_search_calls)
        ticks = 0

        async def attempt() -> None:
            nonlocal ticks
            image, cost = await self._image(prompt, model, params, inputs, planned)
            ticks += cost
            await self._deliver(call, result, image)

        _, result.failures = await gather_attempts(attempt() for _ in range(max(1, call.count)))
        return self._finish(result, ticks)

    async def _sequence(
        self, call: ImageCall, prompt: str, model: str, params: dict[str, str], inputs: list[refs.Reference]
    ) -> ProviderResult:
        """Multimode: `max_images` image calls, one after another, each delivered as it lands."""
        result = ProviderResult(images=[])
        ticks = 0
        for _ in range(call.max_images):
            try:
                image, cost = await self._image(prompt, model, params, inputs, planned=False)
            except Ima2Error as err:
                result.failures.append(err)
                continue
            ticks += cost
            await self._deliver(call, result, image)
        return self._finish(result, ticks)

    @staticmethod
    async def _deliver(call: ImageCall, result: ProviderResult, image: GeneratedImage) -> None:
        index = len(result.images)
        result.images.append(image)
        if call.on_image is not None:
            await call.on_image(image, index)

    @staticmethod
    def _finish(result: ProviderResult, ticks: int) -> ProviderResult:
        if not result.images:
            raise result.failures[0]
        result.usage = {"grok_cost_usd_ticks": ticks}
        return result

    async def _image(
        self, prompt: str, model: str, params: dict[str, str], inputs: list[refs.Reference], planned: bool
    ) -> tuple[GeneratedImage, int]:
        """One billable image call (never retried) and the download of its URL."""
        payload: dict[str, Any] = {
            "model": model,
            "prompt": prompt,
            "n": 1,
            "response_format": "url",
            **params,
        }
        path = "/images/generations"
        if inputs:
            path = "/images/edits"
            sources = [{"type": "image_url", "url": r.data_url} for r in inputs]
            if len(sources) == 1:
                payload["image"] = sources[0]
            else:
                payload["images"] = sources
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.image_timeout):
                response = await self._post(path, payload, self.image_timeout)
        except (TimeoutError, httpx.TimeoutException):
            raise grok_errors.timeout("image") from None
        except httpx.HTTPError:
            raise grok_errors.network("image") from None
        self._log("image", response.status_code, started, 0)
        body = _json_body(response)
        if response.status_code >= 400:
            raise grok_errors.classify("image", response.status_code, body)
        data = (body or {}).get("data") if isinstance(body, dict) else None
        item = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        ticks = ((body or {}).get("usage") or {}).get("cost_in_usd_ticks") or 0
        url = item.get("url")
        revised = prompt if planned else str(item.get("revised_prompt") or "")
        if isinstance(url, str) and url:
            content, mime = await self._download(url)
            image = GeneratedImage(data=content, mime=mime, revised_prompt=revised, provider_url=url)
        elif isinstance(item.get("b64_json"), str) and item["b64_json"]:
            image = self._decode_b64(item["b64_json"], revised)
        else:
            raise Ima2Error("GROK_EMPTY_RESPONSE")
        return image, int(ticks) if isinstance(ticks, int | float) else 0

    @staticmethod
    def _decode_b64(value: str, revised: str) -> GeneratedImage:
        try:
            loaded = refs.load(value)
        except Ima2Error:
            loaded = None
        if loaded is None or sniff_mime(loaded.data) is None:
            raise Ima2Error("GROK_EMPTY_RESPONSE")
        return GeneratedImage(data=loaded.data, mime=loaded.mime, revised_prompt=revised)

    async def _download(self, url: str) -> tuple[bytes, str]:
        """GET the temporary image URL: http(s) only, at most 50 MB streamed, 30 s, retried on 5xx/reset."""
        if urlparse(url).scheme not in ("http", "https"):
            raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", upstream_type="unsupported_url")
        try:
            async with asyncio.timeout(self.download_timeout):
                for attempt in range(TEXT_RETRIES + 1):
                    last = attempt == TEXT_RETRIES
                    try:
                        found = await self._fetch(url, last)
                    except httpx.TimeoutException:
                        raise TimeoutError from None
                    except httpx.HTTPError as exc:
                        if _retryable(exc) and not last:
                            await asyncio.sleep(RETRY_BACKOFF[attempt])
                            continue
                        raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", upstream_type="network") from None
                    if found is not None:
                        return found
                    await asyncio.sleep(RETRY_BACKOFF[attempt])
        except TimeoutError:
            raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", status=504, upstream_type="timeout") from None
        raise AssertionError("unreachable")

    async def _fetch(self, url: str, last: bool) -> tuple[bytes, str] | None:
        """One GET; None means "a 5xx worth another try"."""
        async with self.http.stream("GET", url, timeout=self.download_timeout, follow_redirects=True) as resp:
            if resp.status_code >= 500 and not last:
                return None
            if not 200 <= resp.status_code < 300:
                raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", upstream_code=f"http_{resp.status_code}")
            declared = int(resp.headers.get("content-length") or 0)
            if declared > self.download_max_bytes:
                raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", upstream_type="too_large")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > self.download_max_bytes:
                    raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", upstream_type="too_large")
                chunks.append(chunk)
            content_type = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        data = b"".join(chunks)
        mime = sniff_mime(data) or (content_type if content_type.startswith("image/") else None)
        if not data or mime is None or not mime.startswith("image/"):
            raise Ima2Error("GROK_IMAGE_DOWNLOAD_FAILED", upstream_type="not_an_image")
        return data, mime
