"""Prompt import from GitHub or local files: `prompt import sources|refresh|curated|discovery …|
folder files|folder preview|preview|commit` (the /api/prompts/import/… routes).

The commands that find candidates (curated, folder preview, preview) print them numbered; with
`--commit` they save them into the prompt library at once (all, or those chosen with `--pick`),
and with `--json` their answer can be saved and given to `prompt import commit` later."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import CliError
from ima2_cli.commands.prompts import prompt_app

BASE = "/api/prompts/import"
import_app = new_app(
    "Import prompts from GitHub repositories, curated sources or local files.",
    "ima2 prompt import preview ima2-sandbox/prompts:prompts/portraits.md --commit",
)
discovery_app = new_app(
    "Find prompt repositories on GitHub and review them into sources.",
    'ima2 prompt import discovery search "image prompts"',
)
folder_app = new_app(
    "Import from the files of a GitHub folder.",
    "ima2 prompt import folder files ima2-sandbox/prompts:prompts",
)

Pick = Annotated[
    list[int] | None, typer.Option("--pick", help="With --commit: only candidate N (1-based, repeatable)")
]
Commit = Annotated[bool, typer.Option("--commit", help="Save the candidates into the prompt library")]
Folder = Annotated[str | None, typer.Option("--folder", help="With --commit: the prompt folder id")]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many results")]
GitHubInput = Annotated[
    str,
    typer.Argument(help="owner/repo:path[@ref], owner/repo/path, or a github.com tree/blob URL"),
]


def register(app: typer.Typer) -> None:
    prompt_app.add_typer(import_app, name="import")
    import_app.add_typer(discovery_app, name="discovery")
    import_app.add_typer(folder_app, name="folder")


def _short(text: Any, width: int = 70) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


def _warnings(rt: Runtime, data: dict[str, Any]) -> None:
    for warning in data.get("warnings") or []:
        rt.out.note(f"warning: {warning}", style="yellow")


def _candidate_rows(candidates: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (index, c.get("name") or "", ", ".join(c.get("tags") or [])[:40], _short(c.get("text")))
        for index, c in enumerate(candidates, 1)
    ]


def chosen(candidates: list[dict[str, Any]], pick: list[int] | None) -> list[dict[str, Any]]:
    if not pick:
        return candidates
    wrong = [n for n in pick if not 1 <= n <= len(candidates)]
    if wrong:
        raise usage(f"--pick {wrong[0]}: there are {len(candidates)} candidates (1..{len(candidates)})")
    return [candidates[n - 1] for n in dict.fromkeys(pick)]


def commit_candidates(rt: Runtime, candidates: list[dict[str, Any]], folder: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"candidates": candidates}
    if folder:
        body["folderId"] = folder
    result: dict[str, Any] = rt.api().request("POST", f"{BASE}/commit", json=body)
    return result


def _commit_line(result: dict[str, Any]) -> str:
    return (
        f"imported {result.get('promptsImported', 0)} prompts "
        f"({result.get('duplicatesSkipped', 0)} duplicates skipped)"
    )


def show_candidates(
    rt: Runtime,
    data: dict[str, Any],
    key: str,
    commit: bool,
    pick: list[int] | None,
    folder: str | None,
) -> None:
    """Print found candidates (numbered), or commit them and print what landed."""
    if (pick or folder) and not commit:
        raise usage("--pick and --folder go with --commit")
    candidates = [c for c in data.get(key) or [] if isinstance(c, dict)]
    if commit:
        if not candidates:
            raise CliError(
                "nothing to import: no candidates were found", client.EXIT_CLIENT, "PROMPT_IMPORT_EMPTY"
            )
        result = commit_candidates(rt, chosen(candidates, pick), folder)
        data = {**data, "commit": result}

    def human() -> None:
        _warnings(rt, data)
        if candidates:
            rt.out.table(("#", "name", "tags", "text"), _candidate_rows(candidates))
        else:
            rt.out.note("no candidates")
        if commit:
            rt.out.line(_commit_line(data["commit"]))

    rt.out.emit(data, human)


# --- curated sources --------------------------------------------------------------------------------


@command(import_app, "sources", "ima2 prompt import sources --json")
def sources(rt: Runtime) -> int:
    """List the curated prompt sources (built in, and the ones approved through discovery)."""
    data = rt.api().get(f"{BASE}/curated-sources")
    rows = [
        (
            s.get("id"),
            s.get("repo"),
            s.get("trustTier"),
            s.get("licenseSpdx"),
            "yes" if s.get("defaultSearch") else "",
            ", ".join(s.get("allowedPaths") or []),
        )
        for s in data.get("sources") or []
    ]
    rt.out.emit(data, lambda: rt.out.table(("id", "repo", "trust", "license", "default", "paths"), rows))
    return client.EXIT_OK


@command(import_app, "refresh", "ima2 prompt import refresh picotrex-nano-banana")
def refresh(
    rt: Runtime, source_id: Annotated[str, typer.Argument(help="Source id (`prompt import sources`)")]
) -> int:
    """Fetch a curated source's files from GitHub again and rebuild its search index."""
    data = rt.api().request("POST", f"{BASE}/curated-refresh", json={"sourceId": source_id})

    def human() -> None:
        _warnings(rt, data)
        rt.out.line(
            f"{source_id}: {data.get('indexedFiles', 0)} files, {data.get('candidateCount', 0)} prompts indexed"
        )

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(import_app, "curated", 'ima2 prompt import curated "figurine" --commit --pick 1')
def curated(
    rt: Runtime,
    query: Annotated[str, typer.Argument(help="Words to look for")] = "",
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source id (repeatable)")
    ] = None,
    limit: Limit = None,
    commit: Commit = False,
    pick: Pick = None,
    folder: Folder = None,
) -> int:
    """Search the curated sources' prompts."""
    body: dict[str, Any] = {"q": query}
    if source:
        body["sourceIds"] = source
    if limit is not None:
        body["limit"] = limit
    data = rt.api().request("POST", f"{BASE}/curated-search", json=body)
    show_candidates(rt, data, "results", commit, pick, folder)
    return client.EXIT_OK


# --- discovery ------------------------------------------------------------------------------------


def _discovery_rows(candidates: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            c.get("fullName"),
            c.get("status"),
            c.get("score"),
            c.get("stars"),
            c.get("licenseSpdx"),
            ", ".join(c.get("warnings") or []),
        )
        for c in candidates
    ]


def _show_discovery(rt: Runtime, data: dict[str, Any]) -> None:
    def human() -> None:
        _warnings(rt, data)
        candidates = data.get("candidates") or []
        if candidates:
            rt.out.table(
                ("repo", "status", "score", "stars", "license", "warnings"), _discovery_rows(candidates)
            )
        else:
            rt.out.note("no repositories")
        limit = data.get("rateLimit")
        if isinstance(limit, dict) and limit.get("remaining") is not None:
            rt.out.note(f"GitHub calls left: {limit.get('remaining')} of {limit.get('limit')}")

    rt.out.emit(data, human)


@command(discovery_app, "list", "ima2 prompt import discovery list --status approved")
def discovery_list(
    rt: Runtime,
    status: Annotated[
        str | None, typer.Option("--status", help="candidate, approved or rejected (default: all)")
    ] = None,
) -> int:
    """Repositories found by discovery so far, best first."""
    data = rt.api().get(f"{BASE}/discovery", params={"status": status} if status else None)
    _show_discovery(rt, data)
    return client.EXIT_OK


@command(discovery_app, "search", 'ima2 prompt import discovery search "nano banana" --seed "image prompts"')
def discovery_search(
    rt: Runtime,
    query: Annotated[str, typer.Argument(help="Words to search GitHub repositories for")] = "",
    seed: Annotated[
        list[str] | None, typer.Option("--seed", help="Another search phrase (repeatable)")
    ] = None,
    limit: Limit = None,
) -> int:
    """Search GitHub for prompt repositories and score them (they are kept as candidates to review)."""
    body: dict[str, Any] = {"q": query}
    if seed:
        body["seeds"] = seed
    if limit is not None:
        body["limit"] = limit
    if not query and not seed:
        raise usage("give words to search for, or --seed")
    _show_discovery(rt, rt.api().request("POST", f"{BASE}/discovery-search", json=body))
    return client.EXIT_OK


@command(
    discovery_app,
    "review",
    "ima2 prompt import discovery review ima2-sandbox/prompts --approve --path prompts/portraits.md",
)
def discovery_review(
    rt: Runtime,
    repo: Annotated[str, typer.Argument(help="owner/repo, as `discovery list` shows it")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve it as a prompt source")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject it")] = False,
    path: Annotated[
        list[str] | None, typer.Option("--path", help="A file to index when approved (repeatable)")
    ] = None,
    default_search: Annotated[
        bool, typer.Option("--default-search", help="Search it by default (approved, with paths)")
    ] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="Review notes")] = None,
) -> int:
    """Approve a discovered repository (it becomes a curated source) or reject it."""
    if approve == reject:
        raise usage("give exactly one of --approve or --reject")
    body: dict[str, Any] = {"repo": repo, "status": "approved" if approve else "rejected"}
    if path:
        body["allowedPaths"] = path
    if default_search:
        body["defaultSearch"] = True
    if notes is not None:
        body["reviewNotes"] = notes
    data = rt.api().request("POST", f"{BASE}/discovery-review", json=body)

    def human() -> None:
        _warnings(rt, data)
        source = data.get("source")
        if isinstance(source, dict):
            rt.out.line(f"{repo}: approved as source {source.get('id')}")
        else:
            rt.out.line(f"{repo}: {(data.get('candidate') or {}).get('status', body['status'])}")

    rt.out.emit(data, human)
    return client.EXIT_OK


# --- GitHub folders ---------------------------------------------------------------------------------


@command(
    folder_app,
    "files",
    "ima2 prompt import folder files https://github.com/ima2-sandbox/prompts/tree/main/prompts",
)
def folder_files(rt: Runtime, source: GitHubInput) -> int:
    """List the prompt files (.md, .markdown, .txt) of a GitHub folder."""
    data = rt.api().request("POST", f"{BASE}/folder-files", json={"source": {"input": source}})

    def human() -> None:
        _warnings(rt, data)
        rows = [(f.get("path"), f.get("extension"), f.get("sizeBytes")) for f in data.get("files") or []]
        if rows:
            rt.out.table(("path", "ext", "bytes"), rows)
        else:
            rt.out.note("no prompt files")

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(
    folder_app,
    "preview",
    "ima2 prompt import folder preview ima2-sandbox/prompts:prompts --path prompts/landscapes.txt --commit",
)
def folder_preview(
    rt: Runtime,
    source: GitHubInput,
    path: Annotated[
        list[str] | None, typer.Option("--path", help="A file of the folder to read (repeatable)")
    ] = None,
    all_files: Annotated[bool, typer.Option("--all", help="Every prompt file the folder lists")] = False,
    commit: Commit = False,
    pick: Pick = None,
    folder: Folder = None,
) -> int:
    """Read chosen files of a GitHub folder and show the prompts found in them."""
    if bool(path) == all_files:
        raise usage("give the files with --path, or --all")
    api = rt.api()
    paths = list(path or [])
    if all_files:
        listing = api.request("POST", f"{BASE}/folder-files", json={"source": {"input": source}})
        paths = [str(f.get("path")) for f in listing.get("files") or [] if isinstance(f, dict)]
        if not paths:
            raise CliError(
                "the folder has no prompt files", client.EXIT_CLIENT, "GITHUB_FOLDER_SELECTION_EMPTY"
            )
    body = {"source": {"input": source}, "paths": paths}
    data = api.request("POST", f"{BASE}/folder-preview", json=body)
    show_candidates(rt, data, "candidates", commit, pick, folder)
    return client.EXIT_OK


# --- one file, and commit ---------------------------------------------------------------------------


@command(import_app, "preview", "ima2 prompt import preview --file my-prompts.md --commit")
def preview(
    rt: Runtime,
    source: Annotated[
        str | None,
        typer.Argument(help="A GitHub file: owner/repo:path[@ref] or a github.com blob URL"),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A local .md, .markdown or .txt file instead")
    ] = None,
    commit: Commit = False,
    pick: Pick = None,
    folder: Folder = None,
) -> int:
    """Show the prompts found in one file (on GitHub, or local with --file)."""
    if (source is None) == (file is None):
        raise usage("give a GitHub file, or --file with a local one")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CliError(f"{file} is not UTF-8 text", client.EXIT_USAGE, "UNSUPPORTED_EXTENSION") from None
        body: dict[str, Any] = {"source": {"kind": "local", "filename": file.name, "text": text}}
    else:
        body = {"source": {"kind": "github", "input": source}}
    data = rt.api().request("POST", f"{BASE}/preview", json=body)
    show_candidates(rt, data, "candidates", commit, pick, folder)
    return client.EXIT_OK


@command(
    import_app,
    "commit",
    "ima2 prompt import preview --file p.md --json > found.json && ima2 prompt import commit found.json",
)
def commit(
    rt: Runtime,
    file: Annotated[
        str,
        typer.Argument(
            help="JSON with the candidates: a preview/curated --json answer or an array ('-' = stdin)"
        ),
    ],
    pick: Annotated[
        list[int] | None, typer.Option("--pick", help="Only candidate N (1-based, repeatable)")
    ] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="The prompt folder id")] = None,
) -> int:
    """Save candidates into the prompt library (duplicates in the folder are skipped)."""
    try:
        data = json.loads(sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CliError(f"{file} is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON") from None
    if isinstance(data, dict):
        data = data.get("candidates", data.get("results"))
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise usage(f"{file}: expected a list of candidates, or an answer with `candidates` or `results`")
    result = commit_candidates(rt, chosen(data, pick), folder)
    rt.out.emit(result, lambda: rt.out.line(_commit_line(result)))
    return client.EXIT_OK


@command(import_app, "json", "ima2 prompt import json prompts.json")
def import_json(
    rt: Runtime,
    file: Annotated[
        str,
        typer.Argument(help="A library export ({folders, prompts}, as `prompt export` writes; '-' = stdin)"),
    ],
) -> int:
    """Import a prompt-library JSON export (POST /api/prompts/import); duplicates are skipped."""
    try:
        data = json.loads(sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CliError(f"{file} is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("prompts"), list):
        raise usage(f"{file}: expected a library export with a `prompts` array")
    result = rt.api().request("POST", "/api/prompts/import", json=data)
    rt.out.emit(result, lambda: rt.out.line(_commit_line(result)))
    return client.EXIT_OK
