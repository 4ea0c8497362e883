"""`oauth`: the Codex/ChatGPT OAuth path.

When svc-auth holds a Codex session (GetCredential("codex") returns a token) the provider calls the
Codex backend `{codex}/responses` with `Authorization: Bearer` and `chatgpt-account-id`, the body
normalised as that backend wants it (upstream-apis §3.2: `store:false`, `stream:true`,
`instructions`, typed input parts). Without a session it goes through the local OAuth proxy, which
holds the ChatGPT session itself (no auth header). A 401 on the backend refreshes the credential
once and sends again; a second 401 is AUTH_CHATGPT_EXPIRED.
"""

from __future__ import annotations

from typing import Any

import httpx

from ima2_common.errors import Ima2Error
from ima2_image.providers.base import ImageCall, ProviderResult
from ima2_image.providers.credentials import CredentialSource, jwt_claims
from ima2_image.providers.openai_errors import classify
from ima2_image.providers.openai_responses import ResponsesImageProvider, build_payload

ACCOUNT_CLAIM = "https://api.openai.com/auth"


def account_id_of(token: str) -> str:
    claims = jwt_claims(token)
    auth = claims.get(ACCOUNT_CLAIM)
    value = auth.get("chatgpt_account_id") if isinstance(auth, dict) else None
    return str(value or claims.get("chatgpt_account_id") or "")


def _typed(role: str, content: Any) -> Any:
    if isinstance(content, str):
        return [{"type": "output_text" if role == "assistant" else "input_text", "text": content}]
    return content


def normalise_for_backend(payload: dict[str, Any]) -> dict[str, Any]:
    """Developer messages become `instructions`; string contents become typed parts."""
    body = {k: v for k, v in payload.items() if k != "input"}
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for item in payload.get("input") or []:
        role = item.get("role")
        if role in ("developer", "system") and isinstance(item.get("content"), str):
            instructions.append(item["content"])
            continue
        items.append({**item, "content": _typed(str(role), item.get("content"))})
    body["input"] = items
    body["instructions"] = "\n\n".join(instructions)
    body["store"] = False
    body["stream"] = True
    return body


class OAuthImageProvider(ResponsesImageProvider):
    def __init__(
        self,
        proxy_url: str,
        codex_url: str,
        http: httpx.AsyncClient,
        credentials: CredentialSource,
        timeout_seconds: float,
    ) -> None:
        super().__init__(
            "oauth",
            proxy_url,
            http,
            None,
            missing_key_code="OAUTH_UNAVAILABLE",
            timeout_code="OAUTH_IMAGE_TIMEOUT",
            unreachable_code="OAUTH_UNAVAILABLE",
            timeout_seconds=timeout_seconds,
        )
        self.codex_url = codex_url.rstrip("/")
        self.credentials = credentials
        self.backend = False
        self._account_id = ""
        self._refreshed = False

    async def check_ready(self) -> None:
        credential = await self.credentials.get("codex")
        token = credential.secret.strip()
        if not token:
            return  # the local OAuth proxy holds the session
        self.backend = True
        self.base_url = self.codex_url
        self.unreachable_code = "NETWORK_FAILED"
        self._key = token
        self._account_id = credential.account_id or account_id_of(token)

    def _headers(self, stream: bool) -> dict[str, str]:
        headers = super()._headers(stream or self.backend)
        if self.backend and self._account_id:
            headers["chatgpt-account-id"] = self._account_id
        return headers

    def _prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        return normalise_for_backend(payload) if self.backend else payload

    async def _on_unauthorized(self) -> bool:
        if not self.backend or self._refreshed:
            return False
        self._refreshed = True
        try:
            credential = await self.credentials.refresh("codex", self._key)
        except Ima2Error:
            return False
        token = credential.secret.strip()
        if not token:
            return False
        self._key = token
        self._account_id = credential.account_id or account_id_of(token) or self._account_id
        return True

    def _classify(self, status: int, body: Any) -> Ima2Error:
        err = classify(status, body)
        if self.backend and status == 401:
            return Ima2Error(
                "AUTH_CHATGPT_EXPIRED",
                upstream_code=err.upstream_code,
                upstream_type=err.upstream_type,
                upstream_param=err.upstream_param,
            )
        return err

    async def _json(self, call: ImageCall) -> ProviderResult:
        """The prompt-only fallback; the backend only streams, so it is read as a stream there."""
        if not self.backend:
            return await super()._json(call)
        return await self._collect(build_payload(call, stream=False, prompt_only=True), call, stream=True)
