"""GET /api/quota and /api/billing: what the Codex, Grok and OpenAI accounts report about usage.

Quota (reference §4.9): Codex from `{chatgpt}/wham/usage` (5h and 7d windows); Grok from the xAI
billing API (`{billing}/billing` and `/user`): a monthly percent window and
`billing:{usedUsd, limitUsd}` (cents / 100). A 401 is answered by one refresh and one retry.
Billing (reference §1.1): the OpenAI key's source and validity, plus costs and credit grants when
the upstream answers them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from ima2_auth.credentials import CredentialResolver
from ima2_auth.oauth.accounts import OAuthAccounts
from ima2_auth.oauth.tokens import OAuthToken
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.settings import Settings

log = logging.getLogger("ima2.auth.quota")
QUOTA_TIMEOUT_SECONDS = 8.0
BILLING_TIMEOUT_SECONDS = 10.0
GROK_TIERS = ((150_000, "SuperGrok Heavy"), (15_000, "SuperGrok"))


def _iso_from_epoch(seconds: Any) -> str | None:
    if not isinstance(seconds, int | float):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _cents(block: Any) -> float | None:
    value = block.get("val") if isinstance(block, dict) else None
    return float(value) if isinstance(value, int | float) else None


class QuotaProbe:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, accounts: OAuthAccounts) -> None:
        self.settings = settings
        self.http = http
        self.accounts = accounts

    async def quota(self) -> dict[str, Any]:
        codex, grok = await asyncio.gather(self.codex(), self.grok())
        return {"codex": codex, "grok": grok}

    async def _authorized_get(
        self, provider: str, token: OAuthToken, send: Callable[[OAuthToken], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        response = await send(token)
        if response.status_code == 401:
            try:
                fresh = await self.accounts.refresh(provider, token.access_token)
            except Ima2Error:
                return response
            response = await send(fresh)
        return response

    async def _token(self, provider: str, result: dict[str, Any]) -> OAuthToken | None:
        try:
            token = await self.accounts.get(provider)
        except Ima2Error as err:
            result.update(authenticated=False, error=err.code)
            return None
        if token is None:
            result.update(authenticated=False, error="not_logged_in")
        return token

    async def codex(self) -> dict[str, Any]:
        result: dict[str, Any] = {"provider": "codex", "windows": []}
        token = await self._token("codex", result)
        if token is None:
            return result
        url = f"{self.settings.chatgpt_base_url.rstrip('/')}/wham/usage"

        async def send(tok: OAuthToken) -> httpx.Response:
            headers = {"Authorization": f"Bearer {tok.access_token}", "ChatGPT-Account-Id": tok.account_id}
            return await self.http.get(url, headers=headers, timeout=QUOTA_TIMEOUT_SECONDS)

        try:
            response = await self._authorized_get("codex", token, send)
        except httpx.HTTPError as exc:
            log.warning("codex quota unreachable", extra=log_fields(error=type(exc).__name__))
            return {**result, "authenticated": True, "error": "unreachable"}
        body = _json(response)
        if response.status_code in (401, 403):
            return {**result, "authenticated": False, "error": "unauthorized"}
        if response.status_code >= 300 or not isinstance(body, dict):
            return {**result, "authenticated": True, "error": f"http_{response.status_code}"}
        rate_limit = body.get("rate_limit")
        limits = rate_limit if isinstance(rate_limit, dict) else {}
        windows = []
        for key, label in (("primary_window", "5h"), ("secondary_window", "7d")):
            window = limits.get(key)
            if isinstance(window, dict) and isinstance(window.get("used_percent"), int | float):
                windows.append(
                    {
                        "label": label,
                        "percent": window["used_percent"],
                        "resetsAt": _iso_from_epoch(window.get("reset_at")),
                    }
                )
        return {
            **result,
            "authenticated": True,
            "account": {"email": body.get("email") or token.email or None, "plan": body.get("plan_type")},
            "windows": windows,
        }

    async def grok(self) -> dict[str, Any]:
        result: dict[str, Any] = {"provider": "grok", "windows": []}
        token = await self._token("grok", result)
        if token is None:
            return result
        base = self.settings.grok_billing_url.rstrip("/")

        def sender(path: str) -> Callable[[OAuthToken], Awaitable[httpx.Response]]:
            async def send(tok: OAuthToken) -> httpx.Response:
                headers = {"Authorization": f"Bearer {tok.access_token}"}
                return await self.http.get(f"{base}{path}", headers=headers, timeout=QUOTA_TIMEOUT_SECONDS)

            return send

        try:
            billing = await self._authorized_get("grok", token, sender("/billing"))
            fresh = await self.accounts.current("grok") or token
            user = await sender("/user")(fresh)
        except httpx.HTTPError as exc:
            log.warning("grok billing unreachable", extra=log_fields(error=type(exc).__name__))
            return {**result, "authenticated": True, "error": "unreachable"}
        if billing.status_code in (401, 403):
            return {**result, "authenticated": False, "error": "unauthorized"}
        body = _json(billing)
        config = body.get("config") if isinstance(body, dict) else None
        if billing.status_code >= 300 or not isinstance(config, dict):
            return {**result, "authenticated": True, "error": f"http_{billing.status_code}"}
        used, limit = _cents(config.get("used")), _cents(config.get("monthlyLimit"))
        user_body = _json(user) if user.status_code < 300 else None
        email = (user_body or {}).get("email") if isinstance(user_body, dict) else None
        plan = next((name for floor, name in GROK_TIERS if limit is not None and limit >= floor), None)
        out: dict[str, Any] = {
            **result,
            "authenticated": True,
            "account": {"email": email or token.email or None, "plan": plan},
        }
        if used is not None and limit is not None:
            out["billing"] = {"usedUsd": used / 100, "limitUsd": limit / 100}
            out["windows"] = [
                {
                    "label": "monthly",
                    "percent": round(used / limit * 100, 2) if limit else 0,
                    "resetsAt": config.get("billingPeriodEnd"),
                }
            ]
        return out


class BillingProbe:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, resolver: CredentialResolver) -> None:
        self.settings = settings
        self.http = http
        self.resolver = resolver

    async def billing(self) -> dict[str, Any]:
        resolved = await self.resolver.resolve("openai")
        if not resolved.secret:
            return {"oauth": True, "apiKeyValid": False, "apiKeySource": "none"}
        base = self.settings.openai_base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {resolved.secret}"}

        async def fetch(path: str) -> httpx.Response | None:
            try:
                return await self.http.get(f"{base}{path}", headers=headers, timeout=BILLING_TIMEOUT_SECONDS)
            except httpx.HTTPError:
                return None

        start = int(datetime.now(UTC).timestamp()) - 30 * 86400
        models, costs, credits = await asyncio.gather(
            fetch("/models"),
            fetch(f"/organization/costs?start_time={start}"),
            fetch("/dashboard/billing/credit_grants"),
        )
        result: dict[str, Any] = {
            "oauth": True,
            "apiKeySource": resolved.source,
            "apiKeyValid": models is not None and models.status_code < 300,
        }
        for name, response in (("costs", costs), ("credits", credits)):
            body = _json(response) if response is not None and response.status_code < 300 else None
            if isinstance(body, dict):
                result[name] = body
        log.info(
            "billing probe",
            extra=log_fields(
                models=models.status_code if models is not None else 0, valid=result["apiKeyValid"]
            ),
        )
        return result
