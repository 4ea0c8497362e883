"""Vertex AI access tokens from a service account: an RS256 JWT exchanged at the account's `token_uri`
(upstream-apis §4.4). Tokens are cached until shortly before they expire."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ima2_common.errors import Ima2Error

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # Google accepts at most one hour
EXPIRY_SKEW = 120.0  # a cached token is renewed this long before it expires


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str
    private_key_id: str
    project_id: str
    token_uri: str

    @property
    def cache_key(self) -> tuple[str, str, str]:
        return (self.client_email, self.private_key_id, self.token_uri)


def invalid_account(reason: str) -> Ima2Error:
    return Ima2Error(
        "GEMINI_API_BAD_REQUEST",
        "The Vertex AI service account JSON is not usable.",
        status=400,
        upstream_type="service_account",
        upstream_code=reason,
    )


def parse_service_account(text: str, project_hint: str = "") -> ServiceAccount:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise invalid_account("invalid_json") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise invalid_account("not_a_service_account")
    found = {k: data.get(k) for k in ("client_email", "private_key", "project_id")}
    found["project_id"] = found["project_id"] or project_hint
    fields = {k: v for k, v in found.items() if isinstance(v, str) and v}
    missing = [k for k in found if k not in fields]
    if missing:
        raise invalid_account(f"missing_{missing[0]}")
    token_uri = data.get("token_uri") if isinstance(data.get("token_uri"), str) else ""
    return ServiceAccount(
        client_email=fields["client_email"],
        private_key=fields["private_key"],
        private_key_id=str(data.get("private_key_id") or ""),
        project_id=fields["project_id"],
        token_uri=token_uri or DEFAULT_TOKEN_URI,
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed_assertion(account: ServiceAccount, now: float | None = None) -> str:
    """The RS256 JWT bearer assertion for the token endpoint."""
    issued = int(now if now is not None else time.time())
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if account.private_key_id:
        header["kid"] = account.private_key_id
    claims = {
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": account.token_uri,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
    }
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    try:
        key = serialization.load_pem_private_key(account.private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise invalid_account("invalid_private_key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise invalid_account("not_an_rsa_key")
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class VertexTokenCache:
    """Access tokens per service account, shared by every job of the process."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def invalidate(self, account: ServiceAccount) -> None:
        self._tokens.pop(account.cache_key, None)

    async def token(self, http: httpx.AsyncClient, account: ServiceAccount, timeout: float) -> str:
        async with self._lock:
            cached = self._tokens.get(account.cache_key)
            if cached and cached[1] - EXPIRY_SKEW > time.time():
                return cached[0]
            token, expires_at = await self._exchange(http, account, timeout)
            self._tokens[account.cache_key] = (token, expires_at)
            return token

    @staticmethod
    async def _exchange(
        http: httpx.AsyncClient, account: ServiceAccount, timeout: float
    ) -> tuple[str, float]:
        assertion = await asyncio.to_thread(signed_assertion, account)
        try:
            response = await http.post(
                account.token_uri,
                data={"grant_type": JWT_BEARER, "assertion": assertion},
                timeout=timeout,
            )
        except httpx.TimeoutException:
            raise Ima2Error("GENERATION_TIMEOUT") from None
        except httpx.HTTPError:
            raise Ima2Error("GEMINI_API_NETWORK_FAILED", upstream_type="vertex_token") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code >= 500:
            raise Ima2Error("GEMINI_API_UPSTREAM_ERROR", upstream_type="vertex_token")
        if response.status_code >= 400:
            raise Ima2Error(
                "GEMINI_API_BAD_REQUEST",
                "Google refused the Vertex AI service account.",
                status=400,
                upstream_code=str(body.get("error") or "")[:120] or None,
                upstream_type="vertex_token",
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise Ima2Error("GEMINI_API_UPSTREAM_ERROR", upstream_type="vertex_token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        return token, time.time() + lifetime
