"""Card news through the gateway on a sandbox stack of its own (features.cardNews on): templates,
draft (a text model plans the cards), generate as jobs with `card` events, retry, regenerate one
card, export, and every CARD_NEWS_* code; plus the shared stack, where the feature is off and the
routes do not exist."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ima2_common import cardnews, events
from ima2_common.errors import CATALOGUE
from tests.sse import LiveEvents
from tests.stackctl import RunningStack, start_stack

FAULT = {"upstream": "openai", "path": "/responses"}
CODES_COVERED = {
    "CARD_NEWS_CARDS_REQUIRED",
    "CARD_NEWS_BAD_TEMPLATE_ID",
    "CARD_NEWS_BAD_REQUEST",
    "CARD_NEWS_TEMPLATE_NOT_REGISTERED",
    "CARD_NEWS_SET_NOT_FOUND",
    "CARD_NEWS_JOB_NOT_FOUND",
    "CARD_NEWS_CARD_NOT_FOUND",
    "CARD_NEWS_NOTHING_TO_RETRY",
    "CARD_NEWS_SET_BUSY",
    "CARD_NEWS_CARD_FAILED",
}


@pytest.fixture(scope="module")
def cn_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("ima2-cardnews"),
        extra_env={"IMA2_CARD_NEWS": "1", "IMA2_SSE_PING_SECONDS": "1", "IMA2_CARD_NEWS_CONCURRENCY": "2"},
    )
    yield running
    running.stop()


@pytest.fixture
async def cn(cn_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cn_stack.url, timeout=60) as http:
        yield http


@pytest.fixture
async def cn_sandbox(cn_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cn_stack.sandbox_url, timeout=10) as http:
        await http.delete("/_sandbox/faults")
        yield http
        await http.delete("/_sandbox/faults")


def nested(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code, body
    assert CATALOGUE[code].status == status
    return body


async def draft(cn: httpx.AsyncClient, **brief: Any) -> dict[str, Any]:
    response = await cn.post("/api/cardnews/draft", json={"topic": "Solar panels at home", **brief})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def plan_body(plan: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {**plan, "provider": "api", **more}


# -- off by default -------------------------------------------------------------------------------


async def test_routes_are_absent_when_the_feature_is_off(client: httpx.AsyncClient) -> None:
    caps = (await client.get("/api/capabilities")).json()
    assert caps["features"]["cardNews"] is False
    for method, path in (
        ("GET", "/api/cardnews/image-templates"),
        ("GET", "/api/cardnews/sets"),
        ("POST", "/api/cardnews/draft"),
        ("POST", "/api/cardnews/jobs"),
        ("POST", "/api/cardnews/export"),
    ):
        response = await client.request(method, path, json={})
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND", path
    # absent, yet documented (the document is the same whether the feature is on or off)
    doc = (await client.get("/api/openapi.json")).json()
    assert "/api/cardnews/jobs/{job_id}/retry" in doc["paths"]


# -- templates ------------------------------------------------------------------------------------


async def test_templates_and_previews(cn: httpx.AsyncClient) -> None:
    assert (await cn.get("/api/capabilities")).json()["features"]["cardNews"] is True
    images = (await cn.get("/api/cardnews/image-templates")).json()["templates"]
    assert {t["id"] for t in images} == set(cardnews.IMAGE_TEMPLATES)
    for template in images:
        preview = await cn.get(template["previewUrl"])
        assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
        assert preview.content.startswith(b"\x89PNG\r\n\x1a\n")
    roles = (await cn.get("/api/cardnews/role-templates")).json()["templates"]
    mid = next(t for t in roles if t["id"] == cardnews.DEFAULT_ROLE_TEMPLATE)
    assert mid["cardCount"] == len(mid["roles"]) == 5
    nested(await cn.get("/api/cardnews/image-templates/Bad_Id!/preview"), 400, "CARD_NEWS_BAD_TEMPLATE_ID")
    nested(
        await cn.get("/api/cardnews/image-templates/no-such-one/preview"),
        404,
        "CARD_NEWS_TEMPLATE_NOT_REGISTERED",
    )


# -- draft ----------------------------------------------------------------------------------------


async def test_draft_plans_one_card_per_role_with_a_text_model(
    cn: httpx.AsyncClient, cn_sandbox: httpx.AsyncClient
) -> None:
    await cn_sandbox.delete("/_sandbox/requests")
    result = await draft(cn, audience="parents", roleTemplateId="short-3", backend="api")
    plan, planner = result["plan"], result["planner"]
    assert planner["mode"] == "model" and planner["backend"] == "api" and planner["repaired"] is False
    assert [c["role"] for c in plan["cards"]] == ["cover", "insight", "cta"]
    assert [c["order"] for c in plan["cards"]] == [1, 2, 3]
    assert all(c["status"] == "draft" and c["headline"] and c["visualPrompt"] for c in plan["cards"])
    assert "Solar panels at home" in plan["cards"][0]["headline"]
    # the model was asked for a JSON document of the plan's schema
    calls = (await cn_sandbox.get("/_sandbox/requests", params={"upstream": "openai"})).json()["requests"]
    asked = [c for c in calls if c["path"].endswith("/responses")]
    assert asked and asked[-1]["json"]["text"]["format"]["type"] == "json_schema"

    grok = await draft(cn, backend="grok-api")  # chat completions with response_format
    assert grok["planner"]["backend"] == "grok-api" and len(grok["plan"]["cards"]) == 5

    fixed = await draft(cn, deterministic=True, title="Solar 101", contentBrief="Panels pay back in 8 years.")
    assert fixed["planner"] == {"mode": "deterministic", "model": "none", "backend": None, "repaired": False}
    assert fixed["plan"]["cards"][0]["headline"] == "Solar 101"
    assert fixed["plan"]["cards"][1]["body"] == "Panels pay back in 8 years."


async def test_draft_errors(cn: httpx.AsyncClient, cn_sandbox: httpx.AsyncClient) -> None:
    nested(await cn.post("/api/cardnews/draft", json={}), 400, "CARD_NEWS_BAD_REQUEST")
    nested(await cn.post("/api/cardnews/draft", json={"topic": 3}), 400, "CARD_NEWS_BAD_REQUEST")
    nested(
        await cn.post("/api/cardnews/draft", json={"topic": "t", "roleTemplateId": "UPPER"}),
        400,
        "CARD_NEWS_BAD_TEMPLATE_ID",
    )
    nested(
        await cn.post("/api/cardnews/draft", json={"topic": "t", "imageTemplateId": "nope-nope"}),
        404,
        "CARD_NEWS_TEMPLATE_NOT_REGISTERED",
    )
    await cn_sandbox.post("/_sandbox/faults", json={**FAULT, "status": 500, "count": 2})
    nested(
        await cn.post("/api/cardnews/draft", json={"topic": "t", "backend": "api"}),
        503,
        "PLANNER_UNAVAILABLE",
    )


# -- generate, events, retry, regenerate, export --------------------------------------------------


async def test_generate_blocking_writes_the_set(cn: httpx.AsyncClient, cn_stack: RunningStack) -> None:
    plan = (await draft(cn, roleTemplateId="short-3", deterministic=True))["plan"]
    response = await cn.post("/api/cardnews/generate", json=plan_body(plan))
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "done" and job["generated"] == 3 and job["errors"] == 0
    assert job["setId"] == plan["setId"] and job["jobId"].startswith("cj_")
    folder = cn_stack.home / "generated" / "cardnews" / plan["setId"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["jobId"] == job["jobId"] and [c["status"] for c in manifest["cards"]] == ["generated"] * 3
    for card in job["cards"]:
        assert card["url"] == f"/generated/cardnews/{plan['setId']}/{card['imageFilename']}"
        image = await cn.get(card["url"])
        assert image.status_code == 200 and image.content == (folder / card["imageFilename"]).read_bytes()
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # atomic writes leave none

    sets = (await cn.get("/api/cardnews/sets")).json()["sets"]
    listed = next(s for s in sets if s["setId"] == plan["setId"])
    assert listed["cardCount"] == 3 and listed["url"] == job["cards"][0]["url"]
    shown = (await cn.get(f"/api/cardnews/sets/{plan['setId']}")).json()["plan"]
    assert [c["headline"] for c in shown["cards"]] == [c["headline"] for c in plan["cards"]]
    download = await cn.get(f"/api/cardnews/sets/{plan['setId']}/manifest", params={"download": "1"})
    assert download.json()["setId"] == plan["setId"]
    assert download.headers["content-disposition"] == f'attachment; filename="{plan["setId"]}-manifest.json"'

    exported = await cn.post("/api/cardnews/export", json={"setId": plan["setId"]})
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(["manifest.json", *(c["imageFilename"] for c in job["cards"])])
        assert (
            archive.read(job["cards"][1]["imageFilename"])
            == (folder / job["cards"][1]["imageFilename"]).read_bytes()
        )


async def test_job_events_partial_failure_and_retry(
    cn: httpx.AsyncClient, cn_sandbox: httpx.AsyncClient
) -> None:
    plan = (await draft(cn, deterministic=True))["plan"]  # five cards
    # one upstream call is refused (a 401 is not tried again): exactly one card fails
    await cn_sandbox.post("/_sandbox/faults", json={**FAULT, "status": 401, "count": 1})
    async with LiveEvents(cn) as live:
        started = await cn.post("/api/cardnews/jobs", json=plan_body(plan))
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["status"] == "queued" and job["total"] == 5
        assert all(c["status"] == "queued" for c in job["cards"])
        request_id = job["requestId"]
        frames = await live.collect(
            lambda f: f.event in events.TERMINAL_EVENTS and f.data.get("requestId") == request_id, timeout=90
        )
    mine = [f for f in frames if isinstance(f.data, dict) and f.data.get("requestId") == request_id]
    cards = [f.data for f in mine if f.event == events.CARD]
    assert {c["cardNewsJobId"] for c in cards} == {job["jobId"]} and {c["setId"] for c in cards} == {
        plan["setId"]
    }
    states: dict[str, list[str]] = {}
    for c in cards:
        states.setdefault(c["card"]["id"], []).append(c["card"]["status"])
    assert set(states) == {c["id"] for c in plan["cards"]}
    assert all(s[:2] == ["queued", "generating"] and s[-1] in ("generated", "error") for s in states.values())
    assert all("headline" not in c["card"] and "visualPrompt" not in c["card"] for c in cards)  # no prompts
    done = mine[-1]
    assert done.event == events.DONE and done.data["status"] == "partial"
    assert (done.data["generated"], done.data["errors"]) == (4, 1)

    state = (await cn.get(f"/api/cardnews/jobs/{job['jobId']}")).json()
    assert state["status"] == "partial" and state["errors"] == 1
    failed = next(c for c in state["cards"] if c["status"] == "error")
    assert failed["error"]["code"] == "AUTH_API_KEY_INVALID" and failed["url"] is None
    assert any(j["jobId"] == job["jobId"] for j in (await cn.get("/api/cardnews/jobs")).json()["jobs"])

    nested(
        await cn.post(f"/api/cardnews/jobs/{job['jobId']}/retry", json={"cardIds": ["card_99"]}),
        404,
        "CARD_NEWS_CARD_NOT_FOUND",
    )
    async with LiveEvents(cn) as live:
        retried = await cn.post(f"/api/cardnews/jobs/{job['jobId']}/retry", json={})
        assert retried.status_code == 202, retried.text
        assert retried.json()["jobId"] == job["jobId"]
        again = retried.json()["requestId"]
        assert again != request_id
        frames = await live.collect(
            lambda f: f.event in events.TERMINAL_EVENTS and f.data.get("requestId") == again, timeout=60
        )
    assert frames[-1].event == events.DONE and frames[-1].data["status"] == "done"
    retried_cards = {
        f.data["card"]["id"] for f in frames if f.event == events.CARD and f.data["requestId"] == again
    }
    assert retried_cards == {failed["id"]}  # only the failed card was made again
    final = (await cn.get(f"/api/cardnews/jobs/{job['jobId']}")).json()
    assert final["status"] == "done" and final["generated"] == 5
    nested(await cn.post(f"/api/cardnews/jobs/{job['jobId']}/retry"), 409, "CARD_NEWS_NOTHING_TO_RETRY")


async def test_regenerate_one_card_with_edits(cn: httpx.AsyncClient, cn_stack: RunningStack) -> None:
    plan = (await draft(cn, roleTemplateId="short-3", deterministic=True))["plan"]
    first = (await cn.post("/api/cardnews/generate", json=plan_body(plan))).json()
    folder = cn_stack.home / "generated" / "cardnews" / plan["setId"]
    before = {c["id"]: (folder / c["imageFilename"]).read_bytes() for c in first["cards"]}
    edit = {"headline": "Brand new headline", "visualPrompt": "a lighthouse at dawn"}
    response = await cn.post(
        "/api/cardnews/cards/card_2/regenerate",
        json={"setId": plan["setId"], "card": edit, "provider": "api"},
    )
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["jobId"] != first["jobId"] and job["status"] == "done"
    manifest = json.loads((folder / "manifest.json").read_text())
    card = next(c for c in manifest["cards"] if c["id"] == "card_2")
    assert card["headline"] == "Brand new headline" and card["status"] == "generated"
    assert (folder / card["imageFilename"]).read_bytes() != before["card_2"]  # a new image for the new prompt
    for other in ("card_1", "card_3"):
        kept = next(c for c in manifest["cards"] if c["id"] == other)
        assert (folder / kept["imageFilename"]).read_bytes() == before[other]
    assert manifest["jobIds"] == [first["jobId"], job["jobId"]]
    # both jobs are found; the set answers with its latest state
    assert (await cn.get(f"/api/cardnews/jobs/{first['jobId']}")).json()["setId"] == plan["setId"]

    nested(
        await cn.post(
            "/api/cardnews/cards/card_9/regenerate", json={"setId": plan["setId"], "provider": "api"}
        ),
        404,
        "CARD_NEWS_CARD_NOT_FOUND",
    )
    nested(
        await cn.post("/api/cardnews/cards/card_1/regenerate", json={"setId": "cs_missing_set"}),
        404,
        "CARD_NEWS_SET_NOT_FOUND",
    )


async def test_a_busy_set_and_cancel(cn: httpx.AsyncClient, cn_sandbox: httpx.AsyncClient) -> None:
    plan = (await draft(cn, roleTemplateId="short-3", deterministic=True))["plan"]
    # the upstream holds every card until the job is canceled
    await cn_sandbox.post("/_sandbox/faults", json={**FAULT, "mode": "hang", "count": 0})
    async with LiveEvents(cn) as live:
        started = (await cn.post("/api/cardnews/jobs", json=plan_body(plan))).json()
        rid = started["requestId"]
        await live.collect(
            lambda f: (
                f.event == events.CARD
                and f.data["requestId"] == rid
                and f.data["card"]["status"] == "generating"
            )
        )
        nested(
            await cn.post(
                "/api/cardnews/cards/card_1/regenerate", json={"setId": plan["setId"], "provider": "api"}
            ),
            409,
            "CARD_NEWS_SET_BUSY",
        )
        inflight = (await cn.get("/api/inflight")).json()["jobs"]
        assert any(j["requestId"] == rid and j["kind"] == cardnews.JOB_KIND for j in inflight)
        assert (await cn.delete(f"/api/inflight/{rid}")).status_code == 200
        frames = await live.collect(
            lambda f: f.event in events.TERMINAL_EVENTS and f.data.get("requestId") == rid, timeout=30
        )
    assert frames[-1].data["code"] == "GENERATION_CANCELED"
    await cn_sandbox.delete("/_sandbox/faults")
    state = (await cn.get(f"/api/cardnews/jobs/{started['jobId']}")).json()
    assert state["status"] == "error" and {c["error"]["code"] for c in state["cards"]} == {
        "GENERATION_CANCELED"
    }
    async with LiveEvents(cn) as live:
        retried = await cn.post(f"/api/cardnews/jobs/{started['jobId']}/retry", json={"provider": "api"})
        assert retried.status_code == 202
        again = retried.json()["requestId"]
        frames = await live.collect(
            lambda f: f.event in events.TERMINAL_EVENTS and f.data.get("requestId") == again
        )
    assert frames[-1].event == events.DONE and frames[-1].data["generated"] == 3


async def test_generate_errors(cn: httpx.AsyncClient, cn_sandbox: httpx.AsyncClient) -> None:
    plan = (await draft(cn, roleTemplateId="short-3", deterministic=True))["plan"]
    nested(await cn.post("/api/cardnews/generate", json={"title": "x"}), 400, "CARD_NEWS_CARDS_REQUIRED")
    nested(await cn.post("/api/cardnews/jobs", json={"cards": []}), 400, "CARD_NEWS_CARDS_REQUIRED")
    locked = [{**c, "locked": True} for c in plan["cards"]]
    nested(
        await cn.post("/api/cardnews/jobs", json=plan_body({**plan, "cards": locked})),
        400,
        "CARD_NEWS_CARDS_REQUIRED",
    )
    nested(
        await cn.post("/api/cardnews/jobs", json=plan_body({**plan, "imageTemplateId": "../etc"})),
        400,
        "CARD_NEWS_BAD_TEMPLATE_ID",
    )
    nested(
        await cn.post("/api/cardnews/jobs", json=plan_body({**plan, "setId": "../../escape"})),
        404,
        "CARD_NEWS_SET_NOT_FOUND",
    )
    nested(
        await cn.post("/api/cardnews/jobs", json=plan_body({**plan, "size": "huge"})),
        400,
        "CARD_NEWS_BAD_REQUEST",
    )
    nested(await cn.get("/api/cardnews/jobs/cj_doesnotexist"), 404, "CARD_NEWS_JOB_NOT_FOUND")
    nested(await cn.post("/api/cardnews/jobs/nope/retry"), 404, "CARD_NEWS_JOB_NOT_FOUND")
    nested(await cn.get("/api/cardnews/sets/cs_nothing_here"), 404, "CARD_NEWS_SET_NOT_FOUND")
    nested(await cn.get("/api/cardnews/sets/cs..config"), 404, "CARD_NEWS_SET_NOT_FOUND")
    # an encoded path escape never reaches the route: the access guard refuses it
    nested(await cn.get("/api/cardnews/sets/..%2F..%2Fconfig"), 400, "LOCAL_PATH_REJECTED")
    nested(
        await cn.post("/api/cardnews/export", json={"setId": "cs_nothing_here"}),
        404,
        "CARD_NEWS_SET_NOT_FOUND",
    )

    # every card fails: the job ends with CARD_NEWS_CARD_FAILED and the set keeps each card's error
    await cn_sandbox.post("/_sandbox/faults", json={**FAULT, "status": 401, "count": 3})
    failed = nested(
        await cn.post("/api/cardnews/generate", json=plan_body(plan)), 502, "CARD_NEWS_CARD_FAILED"
    )
    assert "AUTH_API_KEY_INVALID" in failed["error"]["message"]
    manifest = (await cn.get(f"/api/cardnews/sets/{plan['setId']}/manifest")).json()
    assert manifest["status"] == "error" and all(
        c["error"]["code"] == "AUTH_API_KEY_INVALID" for c in manifest["cards"]
    )


def test_every_card_news_code_is_covered() -> None:
    catalogued = {code for code in CATALOGUE if code.startswith("CARD_NEWS_")}
    assert catalogued == CODES_COVERED


async def test_prompts_stay_out_of_the_logs(cn: httpx.AsyncClient, cn_stack: RunningStack) -> None:
    secret = f"zebra-{uuid.uuid4().hex[:8]}"
    plan = (await draft(cn, topic=f"Topic {secret}", roleTemplateId="short-3", backend="api"))["plan"]
    assert (await cn.post("/api/cardnews/generate", json=plan_body(plan))).status_code == 200
    logs = "".join(p.read_text(errors="replace") for p in (cn_stack.home / "logs").glob("*.log*"))
    assert logs and secret not in logs
