"""Prompt import from GitHub through the gateway against the sandbox's GitHub emulator: file and
folder previews, commit into the prompt library with the source tags, the limits with their codes,
GitHub's 401/403/404 and rate-limit answers, and the optional token (sent to GitHub, never logged,
never returned)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ima2_common import limits
from tests.stackctl import RunningStack

REPO = "ima2-sandbox/prompts"


def nested(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code and body["error"]["message"], body
    return body


async def github_calls(sandbox: httpx.AsyncClient) -> list[dict[str, Any]]:
    return [
        c for c in (await sandbox.get("/_sandbox/requests")).json()["requests"] if c["upstream"] == "github"
    ]


@pytest.fixture(autouse=True)
async def fresh(sandbox: httpx.AsyncClient, stack: RunningStack) -> AsyncIterator[None]:
    await sandbox.put("/_sandbox/settings", json={"githubRateLimit": 1000})
    await sandbox.delete("/_sandbox/requests")
    yield
    await sandbox.put("/_sandbox/settings", json={"githubRateLimit": 60})
    await sandbox.delete("/_sandbox/github/calls")
    config = stack.home / "config.json"
    data = json.loads(config.read_text()) if config.exists() else {}
    if "github" in data:
        data.pop("github")
        config.write_text(json.dumps(data))


async def add_file(sandbox: httpx.AsyncClient, path: str, text: str = "", **extra: Any) -> None:
    response = await sandbox.put(
        "/_sandbox/github/files", json={"repo": REPO, "path": path, "text": text, **extra}
    )
    assert response.status_code == 200


async def test_preview_a_github_file_in_each_input_form(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    for source in (
        f"{REPO}:prompts/portraits.md",
        f"{REPO}@main:prompts/portraits.md",
        f"https://github.com/{REPO}/blob/main/prompts/portraits.md",
        f"https://raw.githubusercontent.com/{REPO}/main/prompts/portraits.md",
    ):
        response = await client.post(
            "/api/prompts/import/preview", json={"source": {"kind": "github", "input": source}}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["source"]["path"] == "prompts/portraits.md" and body["source"]["kind"] == "github"
        texts = [c["text"] for c in body["candidates"]]
        assert any(t.startswith("A young cyclist") for t in texts)  # the fenced block
        assert any(t.startswith("A portrait of an elderly fisherman") for t in texts)  # a heading section
        names = {c["name"] for c in body["candidates"]}
        assert "Window light" in names
        assert {"github", f"repo:{REPO}", "ref:main", "file:portraits.md", "ext:md"} <= set(
            body["candidates"][0]["tags"]
        )
    raws = [c for c in await github_calls(sandbox) if c["path"].startswith("/github-raw/")]
    assert len(raws) == 4 and all(c["path"] == f"/github-raw/{REPO}/main/prompts/portraits.md" for c in raws)


async def test_preview_local_text(client: httpx.AsyncClient) -> None:
    text = "A lighthouse on a basalt cliff at dusk, long exposure.\n\n---\n\nA cat astronaut floating past a porthole, soft studio light."
    body = (
        await client.post(
            "/api/prompts/import/preview", json={"source": {"filename": "mine.txt", "text": text}}
        )
    ).json()
    assert [c["text"][:10] for c in body["candidates"]] == ["A lighthou", "A cat astr"]
    assert body["source"] == {"kind": "local", "filename": "mine.txt", "extension": "txt"}
    nested(
        await client.post(
            "/api/prompts/import/preview", json={"source": {"filename": "x.pdf", "text": "hello world"}}
        ),
        400,
        "UNSUPPORTED_EXTENSION",
    )
    nested(
        await client.post("/api/prompts/import/preview", json={"source": {"filename": "x.md", "text": "  "}}),
        422,
        "PROMPT_IMPORT_EMPTY",
    )
    nested(
        await client.post(
            "/api/prompts/import/preview", json={"source": {"filename": "x.md", "text": "too short"}}
        ),
        422,
        "PROMPT_IMPORT_EMPTY",
    )


async def test_source_errors(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    deep = "/".join(["d"] * (limits.PROMPT_IMPORT_MAX_PATH_DEPTH + 1)) + "/x.md"
    cases = [
        ("", 400, "INVALID_GITHUB_SOURCE"),
        ("http://github.com/a/b/blob/main/x.md", 400, "INVALID_GITHUB_SOURCE"),
        ("https://evil.example/a/b/blob/main/x.md", 400, "INVALID_GITHUB_SOURCE"),
        (f"{REPO}:../secrets.md", 400, "INVALID_GITHUB_SOURCE"),
        (f"{REPO}:prompts%2Fportraits.md", 400, "INVALID_GITHUB_SOURCE"),
        (f"{REPO}:{deep}", 400, "GITHUB_PATH_TOO_DEEP"),
        (f"{REPO}:prompts/notes.json", 400, "UNSUPPORTED_EXTENSION"),
        (f"{REPO}:prompts", 422, "FOLDER_IMPORT_DEFERRED"),
        (f"https://github.com/{REPO}/tree/main/prompts", 422, "FOLDER_IMPORT_DEFERRED"),
        (f"{REPO}@feature/x:prompts/a.md", 422, "AMBIGUOUS_GITHUB_REF"),
        (f"{REPO}:prompts/missing.md", 422, "INVALID_GITHUB_SOURCE"),
    ]
    for source, status, code in cases:
        nested(
            await client.post(
                "/api/prompts/import/preview", json={"source": {"kind": "github", "input": source}}
            ),
            status,
            code,
        )
    assert all("secrets" not in c["path"] for c in await github_calls(sandbox))  # refused before fetching


async def test_too_large_files(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await add_file(sandbox, "big/huge.md", size=limits.PROMPT_IMPORT_MAX_FILE_BYTES + 1)
    nested(
        await client.post(
            "/api/prompts/import/preview", json={"source": {"kind": "github", "input": f"{REPO}:big/huge.md"}}
        ),
        413,
        "REMOTE_FILE_TOO_LARGE",
    )
    body = nested(
        await client.post(
            "/api/prompts/import/folder-preview", json={"input": f"{REPO}:big", "paths": ["big/huge.md"]}
        ),
        413,
        "GITHUB_FOLDER_FILE_TOO_LARGE",
    )
    assert body


async def test_folder_files_and_preview(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    listing = (
        await client.post("/api/prompts/import/folder-files", json={"source": {"input": f"{REPO}:prompts/"}})
    ).json()
    assert [f["path"] for f in listing["files"]] == ["prompts/landscapes.txt", "prompts/portraits.md"]
    assert "prompts/notes.json: unsupported-extension" in listing["warnings"]
    assert "prompts/styles: folder-deferred" in listing["warnings"]
    assert listing["source"]["kind"] == "github-folder" and "folder:prompts" in listing["source"]["tags"]
    api = [c for c in await github_calls(sandbox) if c["path"].startswith("/github-api/")]
    assert api[-1]["path"] == f"/github-api/repos/{REPO}/contents/prompts" and api[-1]["query"] == {
        "ref": "main"
    }
    tree = (
        await client.post(
            "/api/prompts/import/folder-files",
            json={"input": f"https://github.com/{REPO}/tree/main/prompts/styles"},
        )
    ).json()
    assert [f["path"] for f in tree["files"]] == ["prompts/styles/ink.md"]

    preview = await client.post(
        "/api/prompts/import/folder-preview",
        json={"input": f"{REPO}:prompts", "paths": ["prompts/landscapes.txt", "prompts/portraits.md"]},
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert len(body["files"]) == 2 and len(body["candidates"]) == 4
    txt = [c for c in body["candidates"] if c["source"]["path"] == "prompts/landscapes.txt"]
    assert len(txt) == 2 and "file:landscapes.txt" in txt[0]["tags"] and "folder:prompts" in txt[0]["tags"]

    for payload, status, code in (
        ({"input": f"{REPO}:prompts", "paths": []}, 422, "GITHUB_FOLDER_SELECTION_EMPTY"),
        ({"input": f"{REPO}:prompts", "paths": ["prompts/notes.json"]}, 422, "GITHUB_FOLDER_SELECTION_EMPTY"),
        ({"input": f"{REPO}:prompts", "paths": ["README.md"]}, 422, "GITHUB_FOLDER_SELECTION_EMPTY"),
        (
            {
                "input": f"{REPO}:prompts",
                "paths": [f"p{i}.md" for i in range(limits.PROMPT_IMPORT_MAX_FOLDER_PREVIEW_FILES + 1)],
            },
            413,
            "GITHUB_FOLDER_SELECTION_TOO_LARGE",
        ),
    ):
        nested(await client.post("/api/prompts/import/folder-preview", json=payload), status, code)
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:nope"}),
        404,
        "GITHUB_FOLDER_NOT_FOUND",
    )
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": "nobody/nothing:"}),
        404,
        "GITHUB_FOLDER_NOT_FOUND",
    )
    nested(
        await client.post(
            "/api/prompts/import/folder-files",
            json={"input": f"https://github.com/{REPO}/tree/feature/x/prompts"},
        ),
        422,
        "AMBIGUOUS_GITHUB_REF",
    )
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": "https://gitlab.com/a/b"}),
        400,
        "GITHUB_FOLDER_UNSUPPORTED",
    )
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:README.md"}),
        422,
        "GITHUB_FOLDER_UNSUPPORTED",
    )


async def test_commit_lands_in_the_library_with_its_source(client: httpx.AsyncClient) -> None:
    preview = (
        await client.post(
            "/api/prompts/import/preview",
            json={"source": {"kind": "github", "input": f"{REPO}:prompts/portraits.md"}},
        )
    ).json()
    marker = uuid.uuid4().hex
    candidates = [{**c, "text": f"{c['text']} {marker}"} for c in preview["candidates"]]
    first = (await client.post("/api/prompts/import/commit", json={"candidates": candidates})).json()
    assert first == {"foldersCreated": 0, "promptsImported": len(candidates), "duplicatesSkipped": 0}
    again = (await client.post("/api/prompts/import/commit", json={"candidates": candidates})).json()
    assert again["promptsImported"] == 0 and again["duplicatesSkipped"] == len(candidates)
    listed = (await client.get("/api/prompts", params={"q": marker})).json()
    prompts = listed.get("prompts", listed) if isinstance(listed, dict) else listed
    mine = [p for p in prompts if marker in p["text"]]
    assert len(mine) == len(candidates)
    assert all(f"repo:{REPO}" in p["tags"] and "github" in p["tags"] for p in mine)
    assert {p["name"] for p in mine} >= {"Window light"}

    nested(
        await client.post("/api/prompts/import/commit", json={"candidates": []}), 422, "PROMPT_IMPORT_EMPTY"
    )
    nested(
        await client.post("/api/prompts/import/commit", json={"candidates": [{"text": "short"}]}),
        422,
        "PROMPT_IMPORT_EMPTY",
    )
    too_long = [{"text": "x" * (limits.PROMPT_IMPORT_MAX_CANDIDATE_CHARS + 1)}]
    nested(
        await client.post("/api/prompts/import/commit", json={"candidates": too_long}),
        413,
        "PROMPT_IMPORT_TOO_MANY_CANDIDATES",
    )
    many = [
        {"text": f"a prompt long enough number {i}"}
        for i in range(limits.PROMPT_IMPORT_MAX_CANDIDATES_PER_IMPORT + 1)
    ]
    nested(
        await client.post("/api/prompts/import/commit", json={"candidates": many}),
        413,
        "PROMPT_IMPORT_TOO_MANY_CANDIDATES",
    )


async def test_github_rate_limit_and_token(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/github/calls")  # a fresh window
    await sandbox.put("/_sandbox/settings", json={"githubRateLimit": 1})
    assert (
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:prompts"})
    ).status_code == 200
    limited = nested(
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:prompts"}),
        429,
        "GITHUB_RATE_LIMITED",
    )
    assert limited
    # a token lifts the limit: it is sent to GitHub, and appears in no answer and no log
    token = f"ghp_sandbox{uuid.uuid4().hex}"
    config = stack.home / "config.json"
    data = json.loads(config.read_text()) if config.exists() else {}
    config.write_text(json.dumps({**data, "github": {"token": token}}))
    await sandbox.delete("/_sandbox/requests")
    listing = await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:prompts"})
    assert listing.status_code == 200 and token not in listing.text
    preview = await client.post(
        "/api/prompts/import/folder-preview",
        json={"input": f"{REPO}:prompts", "paths": ["prompts/portraits.md"]},
    )
    assert preview.status_code == 200 and token not in preview.text
    calls = await github_calls(sandbox)
    assert calls and all(c["headers"].get("authorization") == "Bearer ghp_sa…" for c in calls)
    for name, text in stack.logs().items():
        assert token not in text, name
    # a token GitHub refuses
    config.write_text(json.dumps({**data, "github": {"token": "ghp_bad_token_123"}}))
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:prompts"}),
        502,
        "GITHUB_AUTH_FAILED",
    )


async def test_github_faults(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.post("/_sandbox/faults", json={"upstream": "github", "path": "/contents", "status": 429})
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:prompts"}),
        429,
        "GITHUB_RATE_LIMITED",
    )
    await sandbox.post("/_sandbox/faults", json={"upstream": "github", "path": "/contents", "status": 500})
    nested(
        await client.post("/api/prompts/import/folder-files", json={"input": f"{REPO}:prompts"}),
        422,
        "INVALID_GITHUB_SOURCE",
    )
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "github", "path": "/github-raw/", "mode": "drop"}
    )
    nested(
        await client.post(
            "/api/prompts/import/preview", json={"source": {"kind": "github", "input": f"{REPO}:README.md"}}
        ),
        502,
        "GITHUB_UNREACHABLE",
    )


async def test_curated_sources_search_and_refresh(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    sources = (await client.get("/api/prompts/import/curated-sources")).json()["sources"]
    ids = [s["id"] for s in sources]
    assert {"picotrex-nano-banana", "aimikoda-nano-banana-pro", "midjourney-awesome-manual"} <= set(ids)
    assert all(
        {"repo", "owner", "name", "allowedPaths", "trustTier", "licenseSpdx"} <= set(s) for s in sources
    )
    found = (await client.post("/api/prompts/import/curated-search", json={"q": "figurine"})).json()
    assert found["results"] and found["results"][0]["name"] == "Figurine"
    first = found["results"][0]
    assert "source:picotrex-nano-banana" in first["tags"] and "license:Apache-2.0" in first["tags"]
    assert first["source"]["sourceId"] == "picotrex-nano-banana"
    before = len(await github_calls(sandbox))
    again = (
        await client.post("/api/prompts/import/curated-search", json={"q": "perfume", "limit": 1})
    ).json()
    assert [r["name"] for r in again["results"]] == ["Product shot"]
    assert len(await github_calls(sandbox)) == before  # served from the index
    refreshed = (
        await client.post(
            "/api/prompts/import/curated-refresh", json={"sourceId": "aimikoda-nano-banana-pro"}
        )
    ).json()
    assert refreshed["indexedFiles"] == 1 and refreshed["candidateCount"] == 1
    assert len(await github_calls(sandbox)) == before + 1
    nested(await client.post("/api/prompts/import/curated-refresh", json={}), 400, "INVALID_GITHUB_SOURCE")
    nested(
        await client.post("/api/prompts/import/curated-refresh", json={"sourceId": "nope"}),
        404,
        "PROMPT_IMPORT_SOURCE_NOT_FOUND",
    )
    nested(
        await client.post(
            "/api/prompts/import/curated-refresh", json={"sourceId": "midjourney-awesome-manual"}
        ),
        422,
        "PROMPT_IMPORT_SOURCE_UNAVAILABLE",
    )
    nested(
        await client.post("/api/prompts/import/curated-search", json={"q": "x", "sourceIds": ["nope"]}),
        404,
        "PROMPT_IMPORT_SOURCE_NOT_FOUND",
    )


async def test_discovery_search_review_and_reviewed_source(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    result = (
        await client.post("/api/prompts/import/discovery-search", json={"q": "prompts", "limit": 10})
    ).json()
    names = [c["fullName"] for c in result["candidates"]]
    assert "ima2-sandbox/prompts" in names and "cooks/recipes" not in names
    old = next(c for c in result["candidates"] if c["fullName"] == "someone/old-prompt-dump")
    assert {"stale-repo", "no-license", "archived-or-disabled"} <= set(old["warnings"])
    assert result["candidates"][0]["score"] >= result["candidates"][-1]["score"]
    assert result["rateLimit"]["limit"] == 1000
    searches = [c for c in await github_calls(sandbox) if c["path"] == "/github-api/search/repositories"]
    assert searches and "in:name,description" in searches[0]["query"]["q"]
    listed = (await client.get("/api/prompts/import/discovery", params={"status": "candidate"})).json()
    assert "ima2-sandbox/prompts" in [c["fullName"] for c in listed["candidates"]]

    reviewed = await client.post(
        "/api/prompts/import/discovery-review",
        json={
            "repo": "ima2-sandbox/prompts",
            "status": "approved",
            "allowedPaths": ["prompts/portraits.md"],
            "defaultSearch": True,
            "reviewNotes": "good",
        },
    )
    assert reviewed.status_code == 200, reviewed.text
    source = reviewed.json()["source"]
    assert source["id"] == "discovered-ima2-sandbox-prompts" and source["trustTier"] == "reviewed"
    assert source["defaultSearch"] is True
    sources = (await client.get("/api/prompts/import/curated-sources")).json()["sources"]
    assert source["id"] in [s["id"] for s in sources]
    hits = (
        await client.post(
            "/api/prompts/import/curated-search", json={"q": "fisherman", "sourceIds": [source["id"]]}
        )
    ).json()
    assert hits["results"] and hits["results"][0]["name"] == "Window light"
    approved = (await client.get("/api/prompts/import/discovery", params={"status": "approved"})).json()[
        "candidates"
    ]
    assert [c["fullName"] for c in approved] == ["ima2-sandbox/prompts"]

    for payload, status, code in (
        ({"repo": "bad", "status": "approved"}, 400, "GITHUB_DISCOVERY_REVIEW_INVALID"),
        ({"repo": "ima2-sandbox/prompts", "status": "maybe"}, 400, "GITHUB_DISCOVERY_REVIEW_INVALID"),
        (
            {"repo": "ima2-sandbox/prompts", "status": "approved", "allowedPaths": ["../x.md"]},
            400,
            "GITHUB_DISCOVERY_REVIEW_INVALID",
        ),
        (
            {"repo": "ima2-sandbox/prompts", "status": "approved", "allowedPaths": ["a.png"]},
            400,
            "GITHUB_DISCOVERY_REVIEW_INVALID",
        ),
        ({"repo": "nobody/unknown", "status": "rejected"}, 404, "GITHUB_DISCOVERY_SOURCE_NOT_FOUND"),
    ):
        nested(await client.post("/api/prompts/import/discovery-review", json=payload), status, code)
    seeds = [f"seed {i}" for i in range(limits.PROMPT_IMPORT_DISCOVERY_MAX_QUERIES + 1)]
    nested(
        await client.post("/api/prompts/import/discovery-search", json={"seeds": seeds}),
        413,
        "GITHUB_DISCOVERY_TOO_MANY_QUERIES",
    )
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "github", "path": "/search/repositories", "status": 503}
    )
    nested(
        await client.post("/api/prompts/import/discovery-search", json={"q": "x"}),
        422,
        "GITHUB_DISCOVERY_FAILED",
    )
    rejected = (
        await client.post(
            "/api/prompts/import/discovery-review",
            json={"repo": "ima2-sandbox/prompts", "status": "rejected"},
        )
    ).json()
    assert rejected["source"] is None
