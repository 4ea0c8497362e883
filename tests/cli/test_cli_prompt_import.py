"""prompt import sources/refresh/curated/discovery/folder/preview/commit against the sandbox's
GitHub emulator: output, exit codes, what reached GitHub (the sandbox request log), and the
prompts that landed in the library."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.support import api, as_json, assert_error, clear_faults, fault, ima2, ok
from tests.stackctl import RunningStack, start_stack

REPO = "ima2-sandbox/prompts"


def sandbox(stack: RunningStack, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{stack.sandbox_url}{path}", timeout=10, **kwargs)


def github_calls(stack: RunningStack) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sandbox(
        stack, "GET", "/_sandbox/requests", params={"upstream": "github"}
    ).json()["requests"]
    return calls


def library_texts(stack: RunningStack, search: str) -> list[dict[str, Any]]:
    prompts: list[dict[str, Any]] = api(stack, "GET", "/api/prompts", params={"search": search}).json()[
        "prompts"
    ]
    return prompts


@pytest.fixture(scope="module")
def import_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # A stack of its own: reviewing discovered repositories changes server state (the discovery
    # registry) that the integration tests of the same routes expect fresh.
    running = start_stack(tmp_path_factory.mktemp("ima2-cli-import"))
    yield running
    running.stop()


@pytest.fixture
def github(import_stack: RunningStack) -> Iterator[RunningStack]:
    """A fresh GitHub rate-limit window, no faults and an empty request log."""
    clear_faults(import_stack)
    sandbox(import_stack, "DELETE", "/_sandbox/github/calls")
    sandbox(import_stack, "DELETE", "/_sandbox/requests")
    yield import_stack
    clear_faults(import_stack)
    sandbox(import_stack, "DELETE", "/_sandbox/github/calls")


def put_file(stack: RunningStack, path: str, text: str) -> None:
    response = sandbox(
        stack, "PUT", "/_sandbox/github/files", json={"repo": REPO, "path": path, "text": text}
    )
    assert response.status_code < 300, response.text


def test_preview_then_commit_a_github_file(github: RunningStack, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:10]
    path = f"cli/{marker}.md"
    put_file(
        github,
        path,
        f"# Set\n\n## Lighthouse {marker}\n\nA lighthouse {marker} on a basalt cliff in a storm, "
        f"crashing waves, dramatic long exposure.\n\n## Harbour {marker}\n\nA quiet harbour "
        f"{marker} at blue hour, fishing boats, soft reflections, 50mm.\n",
    )
    shown = ok(ima2(github.home, "prompt", "import", "preview", f"{REPO}:{path}"))
    assert f"Lighthouse {marker}" in shown.stdout and f"Harbour {marker}" in shown.stdout
    raws = [c for c in github_calls(github) if c["path"].startswith("/github-raw/")]
    assert [c["path"] for c in raws] == [f"/github-raw/{REPO}/main/{path}"]
    assert library_texts(github, marker) == []  # a preview saves nothing

    found = tmp_path / "found.json"
    found.write_text(ok(ima2(github.home, "prompt", "import", "preview", f"{REPO}:{path}", "--json")).stdout)
    data = json.loads(found.read_text())
    assert data["source"]["kind"] == "github" and len(data["candidates"]) == 2
    folder = ok(ima2(github.home, "prompt", "folder", "create", f"imports {marker}")).stdout.strip()
    result = as_json(
        ok(
            ima2(
                github.home,
                "prompt",
                "import",
                "commit",
                str(found),
                "--pick",
                "2",
                "--folder",
                folder,
                "--json",
            )
        )
    )
    assert result == {"foldersCreated": 0, "promptsImported": 1, "duplicatesSkipped": 0}
    (landed,) = library_texts(github, marker)
    assert landed["folderId"] == folder and f"harbour {marker}" in landed["text"].lower()
    assert f"repo:{REPO}" in landed["tags"]
    # the same candidate again is a duplicate; from stdin this time
    again = ok(
        ima2(
            github.home,
            "prompt",
            "import",
            "commit",
            "-",
            "--pick",
            "2",
            "--folder",
            folder,
            stdin=found.read_text(),
        )
    )
    assert "imported 0 prompts (1 duplicates skipped)" in again.stdout
    assert len(library_texts(github, marker)) == 1
    assert_error(
        ima2(github.home, "prompt", "import", "commit", str(found), "--pick", "3", "--json"), 2, "USAGE"
    )


def test_preview_a_local_file_and_commit_at_once(github: RunningStack, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:10]
    local = tmp_path / "mine.txt"
    local.write_text(f"A paper boat {marker} drifting down a rainy gutter, macro lens, bokeh city lights.\n")
    out = ok(ima2(github.home, "prompt", "import", "preview", "--file", str(local), "--commit"))
    assert "imported 1 prompts" in out.stdout
    (landed,) = library_texts(github, marker)
    assert "file:mine.txt" in landed["tags"] and landed["folderId"] == "__root__"
    assert github_calls(github) == []  # a local file never reaches GitHub
    bad = tmp_path / "notes.pdf"
    bad.write_text("hello there, a long enough text")
    assert_error(
        ima2(github.home, "prompt", "import", "preview", "--file", str(bad), "--json"),
        5,
        "UNSUPPORTED_EXTENSION",
        400,
    )
    assert_error(ima2(github.home, "prompt", "import", "preview", "--json"), 2, "USAGE")


def test_folder_files_and_preview(github: RunningStack) -> None:
    listed = as_json(
        ok(ima2(github.home, "prompt", "import", "folder", "files", f"{REPO}:prompts", "--json"))
    )
    paths = [f["path"] for f in listed["files"]]
    assert set(paths) == {"prompts/portraits.md", "prompts/landscapes.txt"}
    assert any("notes.json" in w for w in listed["warnings"])
    table = ok(
        ima2(
            github.home, "prompt", "import", "folder", "files", f"https://github.com/{REPO}/tree/main/prompts"
        )
    )
    assert "prompts/portraits.md" in table.stdout
    contents = [c for c in github_calls(github) if "/contents" in c["path"]]
    assert len(contents) == 2 and all(c["query"].get("ref") == "main" for c in contents)

    preview = as_json(
        ok(
            ima2(
                github.home,
                "prompt",
                "import",
                "folder",
                "preview",
                f"{REPO}:prompts",
                "--path",
                "prompts/landscapes.txt",
                "--json",
            )
        )
    )
    assert [f["path"] for f in preview["files"]] == ["prompts/landscapes.txt"]
    assert len(preview["candidates"]) == 2 and "misty pine forest" in preview["candidates"][0]["text"]
    everything = ok(ima2(github.home, "prompt", "import", "folder", "preview", f"{REPO}:prompts", "--all"))
    assert "Window light" in everything.stdout and "misty pine" in everything.stdout
    raws = {c["path"] for c in github_calls(github) if c["path"].startswith("/github-raw/")}
    assert raws == {
        f"/github-raw/{REPO}/main/prompts/landscapes.txt",
        f"/github-raw/{REPO}/main/prompts/portraits.md",
    }
    assert_error(
        ima2(github.home, "prompt", "import", "folder", "files", f"{REPO}:nope", "--json"),
        5,
        "GITHUB_FOLDER_NOT_FOUND",
        404,
    )
    assert_error(
        ima2(github.home, "prompt", "import", "folder", "preview", f"{REPO}:prompts", "--json"), 2, "USAGE"
    )


def test_github_failures_map_to_exit_codes(github: RunningStack) -> None:
    fault(github, upstream="github", path="/contents", status=429)
    args = ("prompt", "import", "folder", "files", f"{REPO}:prompts", "--json")
    assert_error(ima2(github.home, *args), 5, "GITHUB_RATE_LIMITED", 429)
    clear_faults(github)
    fault(github, upstream="github", path="/contents", status=500)
    assert_error(ima2(github.home, *args), 5, "INVALID_GITHUB_SOURCE", 422)
    clear_faults(github)
    assert as_json(ok(ima2(github.home, *args)))["files"]


def test_curated_sources_search_refresh(github: RunningStack) -> None:
    sources = as_json(ok(ima2(github.home, "prompt", "import", "sources", "--json")))["sources"]
    assert "picotrex-nano-banana" in [s["id"] for s in sources]
    assert "picotrex-nano-banana" in ok(ima2(github.home, "prompt", "import", "sources")).stdout
    found = as_json(ok(ima2(github.home, "prompt", "import", "curated", "figurine", "--json")))
    assert found["results"][0]["name"] == "Figurine"
    assert (
        "Product shot"
        in ok(ima2(github.home, "prompt", "import", "curated", "perfume", "--limit", "1")).stdout
    )
    before = len(github_calls(github))
    refreshed = as_json(
        ok(ima2(github.home, "prompt", "import", "refresh", "aimikoda-nano-banana-pro", "--json"))
    )
    assert refreshed["indexedFiles"] == 1 and refreshed["candidateCount"] == 1
    assert len(github_calls(github)) == before + 1
    assert_error(
        ima2(github.home, "prompt", "import", "refresh", "nope", "--json"),
        5,
        "PROMPT_IMPORT_SOURCE_NOT_FOUND",
        404,
    )
    # search and import the hit in one go
    committed = as_json(
        ok(
            ima2(
                github.home,
                "prompt",
                "import",
                "curated",
                "perfume",
                "--source",
                "aimikoda-nano-banana-pro",
                "--commit",
                "--json",
            )
        )
    )
    assert committed["commit"]["promptsImported"] + committed["commit"]["duplicatesSkipped"] == 1
    assert any("perfume bottle" in p["text"] for p in library_texts(github, "perfume bottle"))
    assert_error(ima2(github.home, "prompt", "import", "curated", "x", "--pick", "1", "--json"), 2, "USAGE")


def test_discovery_search_list_review(github: RunningStack) -> None:
    result = as_json(
        ok(ima2(github.home, "prompt", "import", "discovery", "search", "prompts", "--limit", "10", "--json"))
    )
    assert REPO in [c["fullName"] for c in result["candidates"]]
    searches = [c for c in github_calls(github) if c["path"] == "/github-api/search/repositories"]
    assert searches and "prompts" in searches[0]["query"]["q"]
    listed = ok(ima2(github.home, "prompt", "import", "discovery", "list"))
    assert REPO in listed.stdout and "score" in listed.stdout
    reviewed = ok(
        ima2(
            github.home,
            "prompt",
            "import",
            "discovery",
            "review",
            REPO,
            "--approve",
            "--path",
            "prompts/portraits.md",
            "--notes",
            "good",
        )
    )
    assert "approved as source discovered-ima2-sandbox-prompts" in reviewed.stdout
    approved = as_json(
        ok(ima2(github.home, "prompt", "import", "discovery", "list", "--status", "approved", "--json"))
    )
    entry = next(c for c in approved["candidates"] if c["fullName"] == REPO)
    assert entry["allowedPaths"] == ["prompts/portraits.md"] and entry["reviewNotes"] == "good"
    sources = api(github, "GET", "/api/prompts/import/curated-sources").json()["sources"]
    assert "discovered-ima2-sandbox-prompts" in [s["id"] for s in sources]
    assert_error(ima2(github.home, "prompt", "import", "discovery", "review", REPO, "--json"), 2, "USAGE")
    assert_error(
        ima2(github.home, "prompt", "import", "discovery", "review", "bad", "--reject", "--json"),
        5,
        "GITHUB_DISCOVERY_REVIEW_INVALID",
        400,
    )
    ok(ima2(github.home, "prompt", "import", "discovery", "review", REPO, "--reject"))
    rejected = api(github, "GET", "/api/prompts/import/discovery", params={"status": "rejected"}).json()
    assert REPO in [c["fullName"] for c in rejected["candidates"]]


def test_import_a_library_export(stack: RunningStack, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:10]
    document = tmp_path / "library.json"
    text = f"A glass greenhouse {marker} full of orchids at noon, soft haze, wide angle."
    document.write_text(
        json.dumps({"folders": [], "prompts": [{"text": text, "name": f"greenhouse {marker}"}]})
    )
    first = as_json(ok(ima2(stack.home, "prompt", "import", "json", str(document), "--json")))
    assert first["promptsImported"] == 1
    (landed,) = library_texts(stack, marker)
    assert landed["text"] == text and landed["name"] == f"greenhouse {marker}"
    again = ok(ima2(stack.home, "prompt", "import", "json", "-", stdin=document.read_text()))
    assert "imported 0 prompts (1 duplicates skipped)" in again.stdout
    assert len(library_texts(stack, marker)) == 1
    (tmp_path / "bad.json").write_text("[1]")
    assert_error(
        ima2(stack.home, "prompt", "import", "json", str(tmp_path / "bad.json"), "--json"), 2, "USAGE"
    )
