"""The parts of GitHub that prompt import uses, under `/github-api` (REST) and `/github-raw` (raw files).

- `GET /github-api/repos/{owner}/{repo}/contents/{path}?ref=`: a folder listing (array of
  `{type, name, path, size, sha, url, html_url, download_url}`) or one file object; 404
  `{"message": "Not Found", ...}` for a missing repo, ref or path.
- `GET /github-raw/{owner}/{repo}/{ref}/{path}`: the file bytes (`text/plain`), 404 `404: Not Found`.
- Every REST answer carries `x-ratelimit-limit/-remaining/-used/-reset/-resource`. Without a token
  the window allows `githubRateLimit` calls (60), with one 5000; an exhausted window answers 403
  `API rate limit exceeded ...` with `x-ratelimit-remaining: 0`. A token containing "bad" is
  refused with 401 `Bad credentials`.

The repository `ima2-sandbox/prompts` (ref `main`) is there from the start; tests add files with
`PUT /_sandbox/github/files`, `DELETE /_sandbox/github/calls` starts a fresh rate-limit window, and
`POST /_sandbox/reset` brings back the seed. Faults apply as for
every upstream ("github").
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ima2_sandbox.control import Call, begin
from ima2_sandbox.state import SandboxState

SEED_REPO = "ima2-sandbox/prompts"
TOKEN_LIMIT = 5000
WINDOW_SECONDS = 3600
DOCS = "https://docs.github.com/rest"
SEED: dict[str, str] = {
    "README.md": "# Sandbox prompts\n\nA tiny prompt collection served by the ima2 sandbox.\n",
    "prompts/portraits.md": (
        "# Portraits\n\n## Window light\n\nA portrait of an elderly fisherman by a rain-streaked window, "
        "soft north light, 85mm lens, shallow depth of field, muted teal and amber palette.\n\n"
        "## Neon street\n\n```prompt\nA young cyclist under pink and cyan neon signs at night, wet asphalt "
        "reflections, cinematic framing, 35mm film grain.\n```\n"
    ),
    "prompts/landscapes.txt": (
        "A misty pine forest at dawn with god rays between the trunks, painterly, high detail.\n\n"
        "A red desert canyon under a starry sky, long exposure, the Milky Way arching over the rim.\n"
    ),
    "prompts/notes.json": '{"not": "a prompt file"}\n',
    "prompts/styles/ink.md": (
        "## Ink wash\n\nA heron standing in reeds, sumi-e ink wash on rice paper, generous negative space.\n"
    ),
}


# The curated sources' files (so curated search works offline) and what repository search finds.
CURATED_SEED: dict[str, str] = {
    "PicoTrex/Awesome-Nano-Banana-images@main:README_en.md": (
        "# Awesome Nano Banana\n\n## Figurine\n\nTurn the character in the photo into a collectible "
        "figurine on a desk, with its box printed behind it, studio lighting.\n\n## Isometric room\n\n"
        "An isometric miniature bedroom cut-away, soft pastel palette, tiny detailed furniture.\n"
    ),
    "PicoTrex/Awesome-Nano-Banana-images@main:README.md": (
        "# Nano Banana\n\n```\nA watercolor map of an imaginary island with hand-lettered place names.\n```\n"
    ),
    "aimikoda/nano-banana-pro-prompts@main:README.md": (
        "# Pro prompts\n\n## Product shot\n\nA perfume bottle on wet black stone, rim light, droplets, "
        "4k product photography.\n"
    ),
}
SEARCH_REPOS: tuple[dict[str, Any], ...] = (
    {
        "full_name": "ima2-sandbox/prompts",
        "description": "Image generation prompts for the sandbox",
        "topics": ["prompts", "image-generation"],
        "stargazers_count": 150,
        "license": {"spdx_id": "MIT"},
    },
    {
        "full_name": "PicoTrex/Awesome-Nano-Banana-images",
        "description": "Nano banana image prompts and examples",
        "topics": ["nano-banana"],
        "stargazers_count": 5000,
        "license": {"spdx_id": "Apache-2.0"},
    },
    {
        "full_name": "someone/old-prompt-dump",
        "description": "An abandoned prompt list",
        "topics": [],
        "stargazers_count": 3,
        "license": None,
        "archived": True,
        "pushed_at": "2019-01-01T00:00:00Z",
    },
    {
        "full_name": "cooks/recipes",
        "description": "Family recipes",
        "topics": ["food"],
        "stargazers_count": 40,
        "license": {"spdx_id": "MIT"},
    },
)


def seed(state: SandboxState) -> None:
    if not state.github_files:
        for path, text in SEED.items():
            state.github_files[f"{SEED_REPO}@main:{path}"] = text.encode()
        for key, text in CURATED_SEED.items():
            state.github_files[key] = text.encode()


def _search_item(repo: dict[str, Any]) -> dict[str, Any]:
    recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400 * 10))
    return {
        "full_name": repo["full_name"],
        "name": repo["full_name"].split("/")[1],
        "owner": {"login": repo["full_name"].split("/")[0]},
        "html_url": f"https://github.com/{repo['full_name']}",
        "description": repo["description"],
        "topics": repo["topics"],
        "stargazers_count": repo["stargazers_count"],
        "forks_count": repo["stargazers_count"] // 10,
        "open_issues_count": 1,
        "license": repo.get("license"),
        "archived": repo.get("archived", False),
        "disabled": False,
        "fork": False,
        "default_branch": "main",
        "pushed_at": repo.get("pushed_at", recent),
        "updated_at": repo.get("pushed_at", recent),
        "language": None,
    }


def _key(owner: str, repo: str, ref: str, path: str) -> str:
    return f"{owner}/{repo}@{ref}:{path}"


def _token(call: Call) -> str:
    value = call.request.headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    return credential.strip() if scheme.lower() in ("bearer", "token") else ""


def _rate_headers(limit: int, used: int, reset: int) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(max(0, limit - used)),
        "x-ratelimit-used": str(min(used, limit)),
        "x-ratelimit-reset": str(reset),
        "x-ratelimit-resource": "core",
    }


def _not_found(headers: dict[str, str]) -> JSONResponse:
    body = {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
    return JSONResponse(body, status_code=404, headers=headers)


def _api_guard(call: Call) -> tuple[dict[str, str], Response | None]:
    """Auth and the rate-limit window; the headers every REST answer carries."""
    token = _token(call)
    reset = (int(time.time()) // WINDOW_SECONDS + 1) * WINDOW_SECONDS
    if token and "bad" in token:
        return {}, JSONResponse(
            {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, status_code=401
        )
    client = "token" if token else "anonymous"
    limit = TOKEN_LIMIT if token else int(call.state.setting("githubRateLimit"))
    used = call.state.github_calls.get(client, 0) + 1
    call.state.github_calls[client] = used
    headers = _rate_headers(limit, used, reset)
    if used > limit:
        message = "API rate limit exceeded for 127.0.0.1. (Authenticated requests get a higher rate limit.)"
        body = {"message": message, "documentation_url": DOCS, "status": "403"}
        return headers, JSONResponse(body, status_code=403, headers=headers)
    return headers, None


def _entry(base: str, owner: str, repo: str, ref: str, path: str, kind: str, size: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": kind,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "size": size,
        "sha": f"{abs(hash((owner, repo, ref, path))):040x}"[:40],
        "url": f"{base}github-api/repos/{owner}/{repo}/contents/{path}?ref={ref}",
        "html_url": f"https://github.com/{owner}/{repo}/{'blob' if kind == 'file' else 'tree'}/{ref}/{path}",
        "download_url": f"{base}github-raw/{owner}/{repo}/{ref}/{path}" if kind == "file" else None,
    }
    return entry


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/github-api/repos/{owner}/{repo}/contents/{path:path}")
    @router.get("/github-api/repos/{owner}/{repo}/contents")
    async def contents(
        request: Request, owner: str, repo: str, path: str = "", ref: str = "main"
    ) -> Response:
        call = await begin(request, "github")
        if call.response is not None:
            return call.response
        seed(call.state)
        headers, refused = _api_guard(call)
        if refused is not None:
            return refused
        path = path.strip("/")
        base = str(request.base_url)
        prefix = _key(owner, repo, ref, "")
        files = {k[len(prefix) :]: v for k, v in call.state.github_files.items() if k.startswith(prefix)}
        if not files:
            return _not_found(headers)
        if path in files:
            data = files[path]
            entry = _entry(base, owner, repo, ref, path, "file", len(data))
            return JSONResponse({**entry, "encoding": "none", "content": ""}, headers=headers)
        folder = f"{path}/" if path else ""
        listing: dict[str, dict[str, Any]] = {}
        for name, data in files.items():
            if not name.startswith(folder):
                continue
            rest = name[len(folder) :]
            head, _, tail = rest.partition("/")
            child = f"{folder}{head}"
            if tail:
                listing.setdefault(child, _entry(base, owner, repo, ref, child, "dir", 0))
            else:
                listing[child] = _entry(base, owner, repo, ref, child, "file", len(data))
        if not listing:
            return _not_found(headers)
        return JSONResponse(sorted(listing.values(), key=lambda e: e["name"]), headers=headers)

    @router.get("/github-api/search/repositories")
    async def search(request: Request, q: str = "", per_page: int = 30) -> Response:
        call = await begin(request, "github")
        if call.response is not None:
            return call.response
        headers, refused = _api_guard(call)
        if refused is not None:
            return refused
        words = [w for w in q.lower().split() if ":" not in w]
        body: dict[str, Any]
        if not words:
            body = {
                "message": "Validation Failed",
                "errors": [{"code": "missing", "field": "q"}],
                "status": "422",
            }
            return JSONResponse(body, status_code=422, headers=headers)
        hits = []
        for repo in SEARCH_REPOS:
            text = f"{repo['full_name']} {repo['description']} {' '.join(repo['topics'])}".lower()
            if any(word in text for word in words):
                hits.append(_search_item(repo))
        hits.sort(key=lambda r: -r["stargazers_count"])
        body = {
            "total_count": len(hits),
            "incomplete_results": False,
            "items": hits[: max(1, min(per_page, 100))],
        }
        return JSONResponse(body, headers=headers)

    @router.get("/github-raw/{owner}/{repo}/{ref}/{path:path}")
    async def raw(request: Request, owner: str, repo: str, ref: str, path: str) -> Response:
        call = await begin(request, "github")
        if call.response is not None:
            return call.response
        seed(call.state)
        data = call.state.github_files.get(_key(owner, repo, ref, path))
        if data is None:
            return PlainTextResponse("404: Not Found", status_code=404)
        return Response(data, media_type="text/plain; charset=utf-8")

    @router.delete("/_sandbox/github/calls")
    async def new_window(request: Request) -> JSONResponse:
        """Start a fresh rate-limit window."""
        request.app.state.sandbox.github_calls.clear()
        return JSONResponse({"status": "ok"})

    @router.put("/_sandbox/github/files")
    async def put_file(request: Request) -> JSONResponse:
        data = await request.json()
        state: SandboxState = request.app.state.sandbox
        seed(state)
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("repo", "path")):
            return JSONResponse({"error": "repo and path are required"}, status_code=400)
        owner, _, repo = data["repo"].partition("/")
        key = _key(owner, repo, str(data.get("ref") or "main"), data["path"].strip("/"))
        if isinstance(data.get("size"), int):
            state.github_files[key] = b"x" * data["size"]
        else:
            state.github_files[key] = str(data.get("text", "")).encode()
        return JSONResponse({"key": key})

    return router
