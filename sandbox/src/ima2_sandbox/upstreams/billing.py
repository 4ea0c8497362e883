"""Grok subscription billing (§1.7) at `/grok-cli/v1/billing` and `/grok-cli/v1/user`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import jwt_util
from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import xai_error

UPSTREAM = "billing"


def _check(call: Call) -> Response | None:
    token = call.bearer()
    claims = jwt_util.claims_of(token) if token else None
    if not token or "invalid" in token or "expired" in token or (claims and jwt_util.expired(claims)):
        return xai_error(401, "Missing or invalid OAuth access token.")
    return None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_router() -> APIRouter:
    router = APIRouter(prefix="/grok-cli/v1")

    @router.get("/billing")
    async def billing(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        if denied := _check(call):
            return denied
        state = call.state
        now = datetime.now(UTC).replace(microsecond=0)
        if request.query_params.get("format") == "credits":
            if not request.headers.get("x-grok-client-version"):
                return JSONResponse(
                    {"error": "Upgrade required: send x-grok-client-version."}, status_code=426
                )
            return JSONResponse(
                {
                    "config": {
                        "currentPeriod": {
                            "type": "USAGE_PERIOD_TYPE_WEEKLY",
                            "end": _iso(now + timedelta(days=4)),
                        },
                        "creditUsagePercent": state.setting("grokCreditUsagePercent"),
                    }
                }
            )
        start = now.replace(day=1, hour=0, minute=0, second=0)
        return JSONResponse(
            {
                "config": {
                    "monthlyLimit": {"val": state.setting("grokMonthlyLimitCents")},
                    "used": {"val": state.setting("grokUsedCents")},
                    "onDemandCap": {"val": 0},
                    "billingPeriodStart": _iso(start),
                    "billingPeriodEnd": _iso(start + timedelta(days=31)),
                    "history": [{"periodStart": _iso(start - timedelta(days=31)), "used": {"val": 900}}],
                }
            }
        )

    @router.get("/user")
    async def user(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        if denied := _check(call):
            return denied
        claims = jwt_util.claims_of(call.bearer()) or {}
        return JSONResponse(
            {"email": claims.get("email") or call.state.setting("deviceEmail"), "checkedAt": int(time.time())}
        )

    return router
