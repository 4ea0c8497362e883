"""Prompt import pieces without a stack: the per-process GitHub call window, candidate parsing,
source parsing, and a GitHub that never answers (REMOTE_FETCH_TIMEOUT)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ima2_common.errors import Ima2Error
from ima2_gateway.prompt_import.candidates import parse_candidates
from ima2_gateway.prompt_import.github import CallWindow, GitHubClient
from ima2_gateway.prompt_import.sources import parse_file_source, parse_folder_source


def test_call_window_refuses_past_the_limit_and_recovers() -> None:
    now = [0.0]
    window = CallWindow(2, clock=lambda: now[0])
    window.take()
    window.take()
    with pytest.raises(Ima2Error) as caught:
        window.take()
    assert caught.value.code == "PROMPT_IMPORT_RATE_LIMITED" and caught.value.status == 429
    assert 1 <= caught.value.extra["retryAfter"] <= 61
    now[0] = 60.5
    window.take()  # the first two calls left the window


def test_markdown_candidates() -> None:
    text = (
        "---\ntitle: x\n---\n[![badge](b.svg)](link)\n# Title\n\n## One\n\nA long enough first prompt about a fox.\n\n"
        "```python\nprint('not a prompt at all, code')\n```\n\n```\nA fenced prompt about a quiet harbour.\n```\n"
        "| a | b |\n"
    )
    found = parse_candidates(text, "dir/my-file.md", {"kind": "local"}, ["t", "t"])
    texts = [c["text"] for c in found]
    assert texts[0] == "A fenced prompt about a quiet harbour."
    assert "A long enough first prompt about a fox." in texts
    assert not any("print(" in t or "badge" in t or "| a |" in t for t in texts)
    assert found[0]["tags"] == ["t"] and found[0]["name"] == "my file 1"


def test_text_candidates_numbered() -> None:
    text = "1. A first numbered prompt that is long enough.\n2) A second numbered prompt that is long enough."
    found = parse_candidates(text, "list.txt", {}, [])
    assert [c["text"][:8] for c in found] == ["A first ", "A second"]


def test_sources() -> None:
    source = parse_file_source("o/r@v1:docs/a.markdown")
    assert (source.owner, source.repo, source.ref, source.path, source.extension) == (
        "o",
        "r",
        "v1",
        "docs/a.markdown",
        "markdown",
    )
    folder = parse_folder_source("https://github.com/o/r")
    assert (folder.ref, folder.path) == ("main", "")
    with pytest.raises(Ima2Error):
        parse_file_source("o/r:a.md\x00.txt")


async def test_a_silent_github_times_out() -> None:
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def no_token() -> str:
        return ""

    try:
        async with httpx.AsyncClient() as http:
            client = GitHubClient(
                f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}", http, no_token, CallWindow(10), 0.3
            )
            with pytest.raises(Ima2Error) as caught:
                await client.contents("o", "r", "main", "")
            assert (caught.value.code, caught.value.status) == ("REMOTE_FETCH_TIMEOUT", 504)
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
