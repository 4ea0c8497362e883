"""Account switching with two svc-auth replicas behind two gateways: polls and cancels answered by
whichever replica the round_robin picks see the same session."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.image_support import wait_until
from tests.scale.conftest import Scaled

pytestmark = pytest.mark.scale


async def status_of(client: httpx.AsyncClient, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/auth/switch/{session_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_switch_sessions_are_shared_by_every_auth_replica(
    scaled: Scaled, gateways: list[httpx.AsyncClient], sandbox: httpx.AsyncClient
) -> None:
    one, two = gateways
    assert len(scaled.replicas("svc-auth")) == 2
    await sandbox.put("/_sandbox/settings", json={"deviceInterval": 1})
    try:
        response = await one.post("/api/auth/switch", json={"provider": "grok"})
        assert response.status_code == 200, response.text
        started = response.json()
        session_id = started["sessionId"]
        # Several polls through the other gateway reach both svc-auth replicas in turn.
        polls = await asyncio.gather(*(status_of(two, session_id) for _ in range(6)))
        # A replica without the session would answer 404 {"status": "expired"} (status_of wants a 200).
        assert {(p["status"], p["provider"]) for p in polls} == {("pending", "grok")}
        approved = await sandbox.post(
            "/_sandbox/device/approve", json={"userCode": started["userCode"], "email": "scale@example.com"}
        )
        assert approved.status_code == 200, approved.text

        async def complete() -> dict[str, Any] | None:
            status = await status_of(two, session_id)
            return status if status["status"] != "pending" else None

        finished = await wait_until(complete, timeout=40)
        assert finished["status"] == "complete", finished

        response = await two.post("/api/auth/switch", json={"provider": "grok"})
        assert response.status_code == 200, response.text
        other = response.json()
        canceled = await one.delete(f"/api/auth/switch/{other['sessionId']}")
        assert canceled.status_code == 200 and canceled.json()["status"] == "expired", canceled.text
        after = await asyncio.gather(*(status_of(two, other["sessionId"]) for _ in range(4)))
        assert {a["status"] for a in after} == {"expired"}
    finally:
        await sandbox.put("/_sandbox/settings", json={"deviceInterval": 5, "accessTokenTtl": 3600})
        (scaled.stack.home / "sandbox" / "progrok-auth.json").unlink(missing_ok=True)
