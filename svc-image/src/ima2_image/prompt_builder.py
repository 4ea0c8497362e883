"""The prompt builder: one chat turn that helps the user write an image prompt.

Backends (`catalog.PROMPT_BUILDER_BACKENDS`):
- `oauth`: the Responses API, streamed, on the Codex backend with the stored Codex login, else the
  local OAuth proxy (as the `oauth` image provider does);
- `api`: the OpenAI Responses API with the saved key (non-streamed);
- `grok`: xAI chat completions with the stored Grok login (or the progrok proxy, see grok_route);
- `grok-api`: xAI chat completions with the xAI key.

`auto` takes the first ready backend in `catalog.PROMPT_BUILDER_AUTO_ORDER` (restricted to the
backends whose catalogue has the requested model, when one is named) and answers
PROMPT_BUILDER_NO_BACKEND_READY when none is. The saved backend/model live in the JetStream config
bucket (every replica reads the same); IMA2_PROMPT_BUILDER_BACKEND / _MODEL lock them.

Message contents and context are never logged; only counts and sizes are.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.grok_route import grok_route
from ima2_common.logging import log_fields
from ima2_common.settings import Settings
from ima2_image.providers.codex import account_id_of, normalise_for_backend
from ima2_image.providers.credentials import CredentialSource
from ima2_image.providers.sse import iter_sse_json
from ima2_image.style_sheet import output_text

log = logging.getLogger("ima2.image.prompt_builder")

SYSTEM_PROMPT = (
    "You are ima2's prompt builder. You help the user turn an idea into one strong prompt for an "
    "image model. Ask at most one short clarifying question when the idea is too vague; otherwise "
    "answer with the finished prompt first, as one paragraph that names the subject, setting, "
    "composition and camera, lighting and mood, style or medium, and any exact visible text in "
    "quotes, followed by at most three short optional variations. Keep the user's language for "
    "explanations, but write the prompt itself in English unless the user asks otherwise. Never "
    "invent brand names or real people the user did not mention."
)
UNAVAILABLE = {
    "oauth": "PROMPT_BUILDER_OAUTH_UNAVAILABLE",
    "grok": "PROMPT_BUILDER_GROK_UNAVAILABLE",
    "api": "PROMPT_BUILDER_API_KEY_REQUIRED",
    "grok-api": "PROMPT_BUILDER_XAI_KEY_REQUIRED",
}
ROLES = ("user", "assistant")

StatusProbe = Callable[[str], Awaitable[str]]  # provider -> ready | offline | auth_required | …


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class ChatRequest:
    backend: str  # "" = the saved one
    model: str  # "" = the saved/default one
    messages: list[Message]
    context: dict[str, Any] | None = None
    system: str | None = None  # replaces the builder's own instructions (Agent Mode's planner)


@dataclass(frozen=True)
class ChatReply:
    provider: str
    backend: str
    requested_backend: str
    model: str
    content: str
    usage: dict[str, Any] | None


@dataclass(frozen=True)
class BuilderConfig:
    backend: str
    model: str
    backend_locked: bool
    model_locked: bool

    @staticmethod
    def options() -> dict[str, Any]:
        return {
            "backends": list(catalog.PROMPT_BUILDER_BACKENDS),
            "models": {k: list(v) for k, v in catalog.PROMPT_BUILDER_MODELS.items()},
            "autoOrder": list(catalog.PROMPT_BUILDER_AUTO_ORDER),
        }


# --- validation ----------------------------------------------------------------------------------


def normalize_backend(raw: str, fallback: str) -> str:
    value = (raw or "").strip()
    if not value:
        return fallback
    if value not in catalog.PROMPT_BUILDER_BACKENDS:
        raise Ima2Error("PROMPT_BUILDER_BAD_BACKEND")
    return value


def normalize_model(backend: str, raw: str) -> str:
    model = (raw or "").strip() or catalog.PROMPT_BUILDER_DEFAULT_MODELS[backend]
    if backend == "auto" and model != "auto":
        if not lanes_for_model(model):
            raise Ima2Error(
                "PROMPT_BUILDER_BAD_MODEL", f"model {model} is not in any prompt builder catalogue."
            )
        return model
    if model not in catalog.PROMPT_BUILDER_MODELS[backend]:
        allowed = ", ".join(catalog.PROMPT_BUILDER_MODELS[backend])
        raise Ima2Error("PROMPT_BUILDER_BAD_MODEL", f"model for {backend} must be one of: {allowed}.")
    return model


def lanes_for_model(model: str) -> list[str]:
    return [
        lane for lane in catalog.PROMPT_BUILDER_AUTO_ORDER if model in catalog.PROMPT_BUILDER_MODELS[lane]
    ]


def normalize_messages(messages: list[Message]) -> list[Message]:
    kept = messages[-limits.PROMPT_BUILDER_MAX_MESSAGES :]
    out: list[Message] = []
    for message in kept:
        if message.role not in ROLES:
            raise Ima2Error("PROMPT_BUILDER_BAD_MESSAGES", "message role must be user or assistant.")
        content = message.content.strip()
        if not content and message.role == "user":
            raise Ima2Error("PROMPT_BUILDER_EMPTY_MESSAGE", "message content is required.")
        out.append(Message(message.role, content[: limits.PROMPT_BUILDER_MAX_MESSAGE_CHARS]))
    if not out or out[-1].role != "user":
        raise Ima2Error("PROMPT_BUILDER_EMPTY_MESSAGE")
    return out


def context_text(context: dict[str, Any] | None) -> str:
    if not context:
        return ""
    lines = []
    for key, value in context.items():
        if value in (None, "", [], {}):
            continue
        rendered = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"- {key}: {rendered}")
    return "\n".join(lines)[: limits.PROMPT_BUILDER_MAX_CONTEXT_CHARS]


def system_text(context: dict[str, Any] | None) -> str:
    current = context_text(context)
    return SYSTEM_PROMPT + (f"\n\nCurrent ima2 settings:\n{current}" if current else "")


# --- the saved config ----------------------------------------------------------------------------


class PromptBuilderConfigStore:
    """`{backend, model}` in the JetStream config bucket; env variables lock (and win over) it."""

    def __init__(self, kv: KeyValue, settings: Settings) -> None:
        self.kv = kv
        self.settings = settings

    def _locks(self) -> tuple[str, str]:
        return self.settings.prompt_builder_backend.strip(), self.settings.prompt_builder_model.strip()

    async def _saved(self) -> dict[str, Any]:
        try:
            entry = await self.kv.get(catalog.PROMPT_BUILDER_CONFIG_KEY)
        except KeyNotFoundError:
            return {}
        except Exception as exc:  # NATS down: defaults still let the builder run
            log.warning("prompt builder config unreadable", extra=log_fields(error=type(exc).__name__))
            return {}
        try:
            saved = json.loads(entry.value or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return saved if isinstance(saved, dict) else {}

    async def get(self) -> BuilderConfig:
        saved = await self._saved()
        env_backend, env_model = self._locks()
        backend = env_backend or str(saved.get("backend") or "")
        if backend not in catalog.PROMPT_BUILDER_BACKENDS:
            backend = "auto"
        model = env_model or str(saved.get("model") or "")
        if model not in catalog.PROMPT_BUILDER_MODELS[backend] and not (
            backend == "auto" and lanes_for_model(model)
        ):
            model = catalog.PROMPT_BUILDER_DEFAULT_MODELS[backend]
        return BuilderConfig(backend, model, bool(env_backend), bool(env_model))

    async def set(self, backend: str | None, model: str | None) -> BuilderConfig:
        current = await self.get()
        next_backend = (
            normalize_backend(backend or "", current.backend) if backend is not None else current.backend
        )
        if model is None:
            raw_model = (
                catalog.PROMPT_BUILDER_DEFAULT_MODELS[next_backend]
                if next_backend != current.backend
                else current.model
            )
        else:
            raw_model = model
        next_model = normalize_model(next_backend, raw_model)
        if (current.backend_locked and next_backend != current.backend) or (
            current.model_locked and next_model != current.model
        ):
            raise Ima2Error("PROMPT_BUILDER_CONFIG_ENV_LOCKED")
        payload = json.dumps({"backend": next_backend, "model": next_model}).encode()
        await self.kv.put(catalog.PROMPT_BUILDER_CONFIG_KEY, payload)
        log.info("prompt builder config saved", extra=log_fields(backend=next_backend, model=next_model))
        return await self.get()


# --- the chat ------------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    headers: dict[str, str]
    endpoint: str  # responses | chat
    stream: bool
    codex: bool = False
    refresh_as: str = ""  # codex | grok: the OAuth credential refreshed once on a 401
    bearer: str = ""


class PromptBuilder:
    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        credentials: CredentialSource,
        status: StatusProbe,
        config: PromptBuilderConfigStore,
    ) -> None:
        self.settings = settings
        self.http = http
        self.credentials = credentials
        self.status = status
        self.config = config

    # -- choosing a backend

    async def ready(self, backend: str) -> bool:
        if backend == "api":
            return bool((await self.credentials.get("openai")).secret.strip())
        if backend == "grok-api":
            return bool((await self.credentials.get("xai")).secret.strip())
        return await self.status(backend) == "ready"

    async def select(self, requested: str, model: str) -> str:
        if requested != "auto":
            if not await self.ready(requested):
                raise Ima2Error(UNAVAILABLE[requested])
            return requested
        lanes = lanes_for_model(model) if model != "auto" else list(catalog.PROMPT_BUILDER_AUTO_ORDER)
        for lane in lanes:
            if await self.ready(lane):
                if lane != lanes[0]:
                    log.info(
                        "prompt builder fallback",
                        extra=log_fields(requestedBackend=requested, fallbackFrom=lanes[0], backend=lane),
                    )
                return lane
        raise Ima2Error("PROMPT_BUILDER_NO_BACKEND_READY")

    # -- where the request goes

    async def _target(self, backend: str) -> Target:
        settings = self.settings
        if backend == "api":
            key = (await self.credentials.get("openai")).secret.strip()
            if not key:
                raise Ima2Error("PROMPT_BUILDER_API_KEY_REQUIRED")
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            return Target(f"{settings.openai_base_url.rstrip('/')}/responses", headers, "responses", False)
        if backend == "oauth":
            credential = await self.credentials.get("codex")
            token = credential.secret.strip()
            headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
            if not token:  # the local OAuth proxy holds the session
                return Target(f"{settings.oauth_proxy_url.rstrip('/')}/responses", headers, "responses", True)
            headers["Authorization"] = f"Bearer {token}"
            account = credential.account_id or account_id_of(token)
            if account:
                headers["chatgpt-account-id"] = account
            url = f"{settings.codex_base_url.rstrip('/')}/responses"
            return Target(url, headers, "responses", True, codex=True, refresh_as="codex", bearer=token)
        if backend == "grok":
            route = grok_route(settings, (await self.credentials.get("grok")).secret)
            headers = {"Authorization": f"Bearer {route.bearer}", "Content-Type": "application/json"}
            refresh = "grok" if route.bearer != "dummy" else ""
            return Target(
                f"{route.base_url}/chat/completions",
                headers,
                "chat",
                False,
                refresh_as=refresh,
                bearer=route.bearer,
            )
        key = (await self.credentials.get("xai")).secret.strip()
        if not key:
            raise Ima2Error("PROMPT_BUILDER_XAI_KEY_REQUIRED")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        return Target(f"{settings.xai_base_url.rstrip('/')}/chat/completions", headers, "chat", False)

    @staticmethod
    def payload(
        target: Target, backend: str, model: str, messages: list[Message], system: str
    ) -> dict[str, Any]:
        if target.endpoint == "chat":
            return {
                "model": model,
                "messages": [{"role": "system", "content": system}]
                + [{"role": m.role, "content": m.content} for m in messages],
                "stream": False,
            }
        body: dict[str, Any] = {
            "model": model,
            "input": [{"role": "developer", "content": system}]
            + [{"role": m.role, "content": m.content} for m in messages],
            "stream": target.stream,
            "max_output_tokens": limits.PROMPT_BUILDER_MAX_OUTPUT_TOKENS,
        }
        if backend == "oauth":
            body["reasoning"] = {"effort": "low"}
        if target.codex:
            body = normalise_for_backend(body)
            body.pop("max_output_tokens", None)
        return body

    async def _send(self, target: Target, payload: dict[str, Any]) -> tuple[int, Any, str]:
        """(status, parsed body or response object, raw text for errors)."""
        body = json.dumps(payload).encode()
        for attempt in range(2):
            if target.stream:
                async with self.http.stream(
                    "POST",
                    target.url,
                    content=body,
                    headers=target.headers,
                    timeout=self.settings.prompt_builder_timeout_seconds,
                ) as response:
                    if response.status_code >= 400:
                        text = (await response.aread()).decode(errors="replace")
                        status, parsed = response.status_code, None
                    else:
                        final: dict[str, Any] | None = None
                        deltas: list[str] = []
                        async for event in iter_sse_json(response):
                            kind = event.get("type")
                            if kind == "response.output_text.delta" and isinstance(event.get("delta"), str):
                                deltas.append(event["delta"])
                            elif kind in ("response.completed", "response.done") and isinstance(
                                event.get("response"), dict
                            ):
                                final = event["response"]
                            elif kind in ("response.failed", "error"):
                                return 502, None, json.dumps(event)[:2000]
                        final = final or {}
                        if not output_text(final) and deltas:
                            final = {**final, "output_text": "".join(deltas)}
                        return response.status_code, final, ""
            else:
                response = await self.http.post(
                    target.url,
                    content=body,
                    headers=target.headers,
                    timeout=self.settings.prompt_builder_timeout_seconds,
                )
                status, text = response.status_code, response.text
                parsed = None
                if status < 400:
                    try:
                        parsed = response.json()
                    except ValueError:
                        return 502, None, text[:2000]
                    return status, parsed, ""
            if status == 401 and attempt == 0 and target.refresh_as and await self._refresh(target):
                continue
            return status, None, text
        return 502, None, ""

    async def _refresh(self, target: Target) -> bool:
        try:
            fresh = await self.credentials.refresh(target.refresh_as, target.bearer)
        except Ima2Error:
            return False
        token = fresh.secret.strip()
        if not token or token == target.bearer:
            return False
        target.bearer = token
        target.headers["Authorization"] = f"Bearer {token}"
        return True

    @staticmethod
    def _upstream_error(status: int, text: str) -> Ima2Error:
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = None
        error = parsed.get("error") if isinstance(parsed, dict) else None
        error = error if isinstance(error, dict) else {}
        return Ima2Error(
            "PROMPT_BUILDER_UPSTREAM_FAILED",
            upstream_code=str(error.get("code")) if error.get("code") is not None else None,
            upstream_type=str(error.get("type")) if error.get("type") is not None else None,
            upstream_param=str(error.get("param")) if error.get("param") is not None else None,
            extra={"upstreamStatus": status},
        )

    @staticmethod
    def _content(target: Target, body: Any) -> tuple[str, dict[str, Any] | None]:
        if not isinstance(body, dict):
            return "", None
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        if target.endpoint == "responses":
            return output_text(body), usage
        choices = body.get("choices") or []
        message = choices[0].get("message") if choices and isinstance(choices[0], dict) else None
        content = (message or {}).get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return (content or "").strip() if isinstance(content, str) else "", usage

    async def _pick(self, backend_raw: str, model_raw: str) -> tuple[str, str, str]:
        """(requested backend, backend used, model) for a request's backend and model fields."""
        saved = await self.config.get()
        requested = normalize_backend(backend_raw, saved.backend)
        if model_raw.strip():
            raw_model = model_raw
        elif requested != saved.backend:
            raw_model = catalog.PROMPT_BUILDER_DEFAULT_MODELS[requested]
        else:
            raw_model = saved.model
        requested_model = normalize_model(requested, raw_model)
        backend = await self.select(requested, requested_model)
        model = (
            catalog.PROMPT_BUILDER_DEFAULT_MODELS[backend] if requested_model == "auto" else requested_model
        )
        return requested, backend, model

    async def _exchange(
        self, target: Target, payload: dict[str, Any], fields: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None]:
        """Send one turn; (content, usage), or the prompt builder's error codes."""
        started = time.monotonic()
        try:
            status, body, text = await self._send(target, payload)
        except httpx.TimeoutException:
            raise Ima2Error("PROMPT_BUILDER_TIMEOUT") from None
        except httpx.HTTPError:
            raise Ima2Error(
                "PROMPT_BUILDER_UPSTREAM_FAILED", f"The {fields['backend']} backend could not be reached."
            ) from None
        fields = {**fields, "status": status, "ms": round((time.monotonic() - started) * 1000)}
        if status >= 400:
            log.warning(
                "prompt builder upstream failed", extra=log_fields(**fields, upstreamBodyChars=len(text))
            )
            raise self._upstream_error(status, text)
        content, usage = self._content(target, body)
        if not content:
            log.warning("prompt builder empty response", extra=log_fields(**fields))
            raise Ima2Error("PROMPT_BUILDER_EMPTY_RESPONSE")
        log.info("prompt builder answered", extra=log_fields(**fields, replyChars=len(content)))
        return content, usage

    async def chat(self, request: ChatRequest) -> ChatReply:
        messages = normalize_messages(request.messages)
        requested, backend, model = await self._pick(request.backend, request.model)
        target = await self._target(backend)
        system = request.system if request.system is not None else system_text(request.context)
        payload = self.payload(target, backend, model, messages, system)
        fields = {
            "backend": backend,
            "requestedBackend": requested,
            "model": model,
            "messages": len(messages),
        }
        content, usage = await self._exchange(target, payload, fields)
        return ChatReply(backend, backend, requested, model, content, usage)

    async def complete_json(
        self, backend_raw: str, model_raw: str, system: str, user: str, name: str, schema: dict[str, Any]
    ) -> tuple[str, str, str]:
        """One structured answer (a JSON document of `schema`) on the builder's backends, for other
        features that need a text model (card news planning). (text, backend, model)."""
        requested, backend, model = await self._pick(backend_raw, model_raw)
        target = await self._target(backend)
        payload = self.payload(target, backend, model, [Message("user", user)], system)
        if target.endpoint == "chat":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema},
            }
        else:
            payload["text"] = {
                "format": {"type": "json_schema", "name": name, "schema": schema, "strict": False}
            }
            if "max_output_tokens" in payload:
                payload["max_output_tokens"] = max(payload["max_output_tokens"], 4000)
        fields = {"backend": backend, "requestedBackend": requested, "model": model, "purpose": name}
        content, _ = await self._exchange(target, payload, fields)
        return content, backend, model
