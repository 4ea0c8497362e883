"""Curated prompt sources, their search index, and GitHub discovery of new sources.

Curated sources are fixed here (reviewed repositories with the files worth indexing); a discovery
candidate a user approves with allowed paths becomes a source too. Indexes are built from those
files on first search (or on refresh) and kept per process for `PROMPT_IMPORT_INDEX_TTL_SECONDS`.
The discovery registry (found repositories and their review) lives in the shared config bucket.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from nats.js.errors import KeyNotFoundError

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_gateway.models.prompt_import import DiscoveryReviewRequest
from ima2_gateway.prompt_import.candidates import parse_candidates
from ima2_gateway.prompt_import.github import GitHubClient
from ima2_gateway.prompt_import.sources import OWNER_REPO

REGISTRY_KEY = "promptImport.discovery"
DEFAULT_SEEDS = ("image generation prompts", "nano banana prompts", "gpt-image prompt")
PROMPT_TERMS = ("prompt", "image", "generation", "gpt-image", "nano", "typography", "reference")

CURATED_SOURCES: tuple[dict[str, Any], ...] = (
    {
        "id": "picotrex-nano-banana",
        "repo": "PicoTrex/Awesome-Nano-Banana-images",
        "displayName": "Awesome Nano Banana Images",
        "defaultRef": "main",
        "allowedPaths": ["README_en.md", "README.md"],
        "licenseSpdx": "Apache-2.0",
        "trustTier": "curated",
        "notes": "Nano Banana image prompts with examples.",
        "defaultSearch": True,
    },
    {
        "id": "aimikoda-nano-banana-pro",
        "repo": "aimikoda/nano-banana-pro-prompts",
        "displayName": "Nano Banana Pro Prompts",
        "defaultRef": "main",
        "allowedPaths": ["README.md"],
        "licenseSpdx": "NOASSERTION",
        "trustTier": "curated",
        "notes": "Nano Banana Pro prompt collection.",
        "defaultSearch": True,
    },
    {
        "id": "midjourney-awesome-manual",
        "repo": "Ezagor-dev/awesome-midjourney-prompts",
        "displayName": "Awesome Midjourney Prompts",
        "defaultRef": "main",
        "allowedPaths": [],
        "licenseSpdx": "NOASSERTION",
        "trustTier": "manual-review",
        "notes": "Waiting for a review before it is indexed.",
        "defaultSearch": False,
    },
)


class KeyValueStore(Protocol):
    async def get(self, key: str) -> Any: ...

    async def put(self, key: str, value: bytes) -> int: ...


def public_source(source: dict[str, Any]) -> dict[str, Any]:
    owner, _, name = source["repo"].partition("/")
    return {
        **source,
        "owner": owner,
        "name": name,
        "extensions": ["md", "markdown", "txt"],
        "requiresAttribution": True,
    }


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^\w-]+", text.lower()) if t]


def rank(candidates: list[dict[str, Any]], query: str, limit: int) -> list[dict[str, Any]]:
    terms = _tokens(query)
    if not terms:
        return candidates[:limit]
    scored: list[tuple[int, int, dict[str, Any]]] = []
    for index, candidate in enumerate(candidates):
        name = str(candidate.get("name", "")).lower()
        text = str(candidate.get("text", "")).lower()
        tags = " ".join(candidate.get("tags", [])).lower()
        score = sum(5 * (t in name) + 2 * (t in text) + (t in tags) for t in terms)
        if score:
            scored.append((-score, index, {**candidate, "score": score}))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in scored[:limit]]


@dataclass
class IndexEntry:
    source: dict[str, Any]
    candidates: list[dict[str, Any]]
    files: int
    refreshed_at: float
    warnings: list[str] = field(default_factory=list)


class CuratedCatalogue:
    def __init__(self, github: GitHubClient, kv: KeyValueStore) -> None:
        self.github = github
        self.kv = kv
        self.index: dict[str, IndexEntry] = {}

    # -- the discovery registry (config bucket)

    async def _registry(self) -> dict[str, dict[str, Any]]:
        try:
            entry = await self.kv.get(REGISTRY_KEY)
        except KeyNotFoundError:
            return {}
        try:
            value = json.loads(entry.value or b"{}")
        except (ValueError, AttributeError):
            return {}
        return value if isinstance(value, dict) else {}

    async def _save_registry(self, registry: dict[str, dict[str, Any]]) -> None:
        await self.kv.put(REGISTRY_KEY, json.dumps(registry).encode())

    async def sources(self) -> list[dict[str, Any]]:
        reviewed = [c["approvedSource"] for c in (await self._registry()).values() if c.get("approvedSource")]
        return [public_source(s) for s in CURATED_SOURCES] + reviewed

    async def _source(self, source_id: str) -> dict[str, Any]:
        for source in await self.sources():
            if source["id"] == source_id:
                return source
        raise Ima2Error("PROMPT_IMPORT_SOURCE_NOT_FOUND")

    # -- indexing and search

    async def _build(self, source: dict[str, Any]) -> IndexEntry:
        if source.get("trustTier") == "manual-review" or not source.get("allowedPaths"):
            raise Ima2Error("PROMPT_IMPORT_SOURCE_UNAVAILABLE")
        owner, _, name = source["repo"].partition("/")
        ref = source.get("defaultRef") or "main"
        candidates: list[dict[str, Any]] = []
        warnings: list[str] = []
        files = 0
        for path in source["allowedPaths"][: limits.PROMPT_IMPORT_MAX_REPO_INDEX_FILES]:
            try:
                fetched = await self.github.raw(owner, name, ref, path, "REMOTE_FILE_TOO_LARGE")
            except Ima2Error as err:
                if err.code in ("GITHUB_RATE_LIMITED", "PROMPT_IMPORT_RATE_LIMITED", "GITHUB_AUTH_FAILED"):
                    raise
                warnings.append(f"{path}: {err.message}")
                continue
            if fetched is None:
                warnings.append(f"{path}: not found")
                continue
            files += 1
            html = f"https://github.com/{owner}/{name}/blob/{ref}/{path}"
            described = {
                "kind": "github",
                "owner": owner,
                "repo": name,
                "ref": ref,
                "path": path,
                "htmlUrl": html,
            }
            tags = [
                "github",
                f"repo:{owner}/{name}",
                f"ref:{ref}",
                f"file:{path.rsplit('/', 1)[-1]}",
                f"source:{source['id']}",
                f"license:{source.get('licenseSpdx') or 'NOASSERTION'}",
                f"trust:{source.get('trustTier') or 'reviewed'}",
                "attribution-required",
            ]
            for candidate in parse_candidates(
                fetched.text, path, {**described, "sourceId": source["id"]}, tags
            ):
                candidates.append({**candidate, "id": f"{source['id']}:{path}:{candidate['ordinal']}"})
        return IndexEntry(source, candidates, files, time.time(), warnings)

    async def refresh(self, source_id: str) -> dict[str, Any]:
        source = await self._source(source_id)
        entry = await self._build(source)
        self.index[source_id] = entry
        return {
            "source": source,
            "indexedFiles": entry.files,
            "candidateCount": len(entry.candidates),
            "warnings": entry.warnings,
        }

    async def search(self, query: str, source_ids: list[str] | None, limit: int | None) -> dict[str, Any]:
        sources = await self.sources()
        if source_ids:
            wanted = [s for s in sources if s["id"] in source_ids]
            if len(wanted) != len(set(source_ids)):
                raise Ima2Error("PROMPT_IMPORT_SOURCE_NOT_FOUND")
        else:
            wanted = [s for s in sources if s.get("defaultSearch")]
        warnings: list[str] = []
        candidates: list[dict[str, Any]] = []
        for source in wanted:
            entry = self.index.get(source["id"])
            if entry is None or time.time() - entry.refreshed_at > limits.PROMPT_IMPORT_INDEX_TTL_SECONDS:
                try:
                    entry = await self._build(source)
                except Ima2Error as err:
                    if err.code != "PROMPT_IMPORT_SOURCE_UNAVAILABLE":
                        raise
                    warnings.append(f"{source['id']}: {err.message}")
                    continue
                self.index[source["id"]] = entry
            warnings.extend(entry.warnings)
            candidates.extend(entry.candidates)
        cap = limits.PROMPT_IMPORT_CURATED_SEARCH_LIMIT
        count = min(limit, cap) if isinstance(limit, int) and limit > 0 else cap
        return {"results": rank(candidates, query, count), "sources": sources, "warnings": warnings}

    # -- discovery

    async def discover(self, query: str, seeds: list[str], limit: int | None) -> dict[str, Any]:
        if len(seeds) > limits.PROMPT_IMPORT_DISCOVERY_MAX_QUERIES:
            raise Ima2Error("GITHUB_DISCOVERY_TOO_MANY_QUERIES")
        queries = list(dict.fromkeys(q.strip() for q in [query, *seeds, *DEFAULT_SEEDS] if q and q.strip()))
        queries = queries[: limits.PROMPT_IMPORT_DISCOVERY_MAX_QUERIES]
        cap = limits.PROMPT_IMPORT_DISCOVERY_SEARCH_LIMIT
        wanted = min(limit, cap) if isinstance(limit, int) and limit > 0 else cap
        per_query = max(1, -(-wanted // len(queries)))
        found: dict[str, dict[str, Any]] = {}
        rate: dict[str, Any] | None = None
        for q in queries:
            path = f"/search/repositories?q={quote(q + ' in:name,description')}&sort=stars&order=desc&per_page={per_query}"
            body, rate = await self.github.api_get(path)
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise Ima2Error("GITHUB_DISCOVERY_FAILED")
            for repo in items:
                candidate = score_repository(repo, q, seeds) if isinstance(repo, dict) else None
                if candidate is None:
                    continue
                known = found.get(candidate["fullName"])
                if known is None or candidate["score"] > known["score"]:
                    found[candidate["fullName"]] = candidate
        ranked = sorted(found.values(), key=lambda c: (-c["score"], -c["stars"]))[:wanted]
        registry = await self._registry()
        for candidate in ranked:
            existing = registry.get(candidate["fullName"], {})
            registry[candidate["fullName"]] = {
                **existing,
                **candidate,
                "status": existing.get("status", "candidate"),
                "discoveredAt": existing.get("discoveredAt", candidate["discoveredAt"]),
            }
        await self._save_registry(registry)
        warnings = ["github-rate-limit-exhausted"] if rate and rate.get("remaining") == 0 else []
        return {"candidates": ranked, "warnings": warnings, "rateLimit": rate}

    async def discovered(self, status: str | None) -> list[dict[str, Any]]:
        items = [c for c in (await self._registry()).values() if not status or c.get("status") == status]
        return sorted(items, key=lambda c: (-int(c.get("score", 0)), str(c.get("fullName", ""))))

    async def review(self, review: DiscoveryReviewRequest) -> dict[str, Any]:
        """Approve (with the files to search) or reject a discovered repository; the request's
        fields are checked by its model."""
        repo, status, paths = review.repo, review.status, review.allowedPaths
        name = repo.partition("/")[2]
        registry = await self._registry()
        candidate = registry.get(repo)
        if candidate is None:
            raise Ima2Error("GITHUB_DISCOVERY_SOURCE_NOT_FOUND")
        warnings = list(candidate.get("warnings", []))
        branch = str(candidate.get("defaultBranch") or "main")
        default_search = review.defaultSearch and status == "approved" and bool(paths) and "/" not in branch
        if status == "approved" and not paths:
            warnings.append("discovery-requires-paths")
        notes = review.reviewNotes
        reviewed = {
            **candidate,
            "status": status,
            "allowedPaths": list(dict.fromkeys(paths)),
            "reviewNotes": notes[:500],
            "reviewedAt": datetime.now(UTC).isoformat(),
            "warnings": list(dict.fromkeys(warnings)),
        }
        source = None
        if status == "approved":
            slug = re.sub(r"[^a-z0-9]+", "-", repo.lower()).strip("-")
            source = public_source(
                {
                    "id": f"discovered-{slug}",
                    "repo": repo,
                    "displayName": candidate.get("name") or name,
                    "defaultRef": branch,
                    "allowedPaths": reviewed["allowedPaths"],
                    "licenseSpdx": candidate.get("licenseSpdx") or "NOASSERTION",
                    "trustTier": "reviewed",
                    "notes": reviewed["reviewNotes"]
                    or candidate.get("description")
                    or "Reviewed discovery source.",
                    "defaultSearch": default_search,
                }
            )
        reviewed["approvedSource"] = source
        registry[repo] = reviewed
        await self._save_registry(registry)
        return {"candidate": reviewed, "source": source, "warnings": reviewed["warnings"]}


def score_repository(repo: dict[str, Any], query: str, seeds: list[str]) -> dict[str, Any] | None:
    full_name = str(repo.get("full_name") or "")
    owner, _, name = full_name.partition("/")
    html = str(repo.get("html_url") or "")
    if (
        not OWNER_REPO.match(owner or "-/")
        or not OWNER_REPO.match(name or "-/")
        or not html.startswith("https://github.com/")
    ):
        return None
    text = f"{full_name} {repo.get('description') or ''} {' '.join(repo.get('topics') or [])}".lower()
    reasons: list[str] = []
    warnings: list[str] = []
    score = 0
    stars = int(repo.get("stargazers_count") or 0)
    for floor, points, reason in ((1000, 20, "popular-repo"), (100, 12, "known-repo"), (10, 5, "some-stars")):
        if stars > floor:
            score += points
            reasons.append(reason)
            break
    pushed = str(repo.get("pushed_at") or "")
    try:
        age_days = (datetime.now(UTC) - datetime.fromisoformat(pushed.replace("Z", "+00:00"))).days
    except ValueError:
        age_days = 10_000
    if age_days <= 365:
        score += 10
        reasons.append("recently-updated")
    else:
        score -= 6
        warnings.append("stale-repo")
    license_id = (repo.get("license") or {}).get("spdx_id") if isinstance(repo.get("license"), dict) else None
    if license_id:
        score += 8
        reasons.append("license-present")
    else:
        score -= 8
        warnings.append("no-license")
    if repo.get("archived") or repo.get("disabled"):
        score -= 20
        warnings.append("archived-or-disabled")
    if repo.get("fork"):
        score -= 4
        warnings.append("fork-source")
    branch = str(repo.get("default_branch") or "main")
    if "/" in branch:
        warnings.append("discovery-default-branch-unsupported")
    if any(term in text for term in PROMPT_TERMS):
        score += 14
        reasons.append("prompt-like")
    score += sum(3 for term in _tokens(" ".join([query, *seeds])) if term in text)
    return {
        "id": f"github:{full_name}",
        "repo": full_name,
        "owner": owner,
        "name": name,
        "fullName": full_name,
        "htmlUrl": html,
        "description": str(repo.get("description") or ""),
        "defaultBranch": branch,
        "stars": stars,
        "forks": int(repo.get("forks_count") or 0),
        "licenseSpdx": license_id or "NOASSERTION",
        "topics": [t for t in repo.get("topics") or [] if isinstance(t, str)],
        "score": score,
        "scoreReasons": reasons,
        "warnings": warnings,
        "status": "candidate",
        "query": query,
        "discoveredAt": datetime.now(UTC).isoformat(),
    }
