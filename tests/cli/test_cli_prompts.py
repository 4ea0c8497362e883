"""prompt ls/show/create/edit/rm/favorite/export and prompt folder ls/create/rename/rm."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import api, as_json, assert_error, ima2, ok
from tests.stackctl import RunningStack


def server_prompt(stack: RunningStack, prompt_id: str) -> dict:
    return api(stack, "GET", f"/api/prompts/{prompt_id}").json()["prompt"]


def test_prompt_lifecycle(stack: RunningStack, tmp_path: Path) -> None:
    folder = ok(ima2(stack.home, "prompt", "folder", "create", "Cabins")).stdout.strip()
    assert folder in [f["id"] for f in api(stack, "GET", "/api/prompts/folders").json()["folders"]]
    pid = ok(
        ima2(
            stack.home,
            "prompt",
            "create",
            "a cozy cabin, golden hour",
            "--name",
            "cabin",
            "--tag",
            "warm",
            "--tag",
            "wood",
            "--folder",
            folder,
        )
    ).stdout.strip()
    stored = server_prompt(stack, pid)
    assert stored["text"] == "a cozy cabin, golden hour" and stored["tags"] == ["warm", "wood"]
    assert stored["folderId"] == folder
    listed = as_json(ok(ima2(stack.home, "prompt", "ls", "--folder", folder, "--json")))
    assert [p["id"] for p in listed["prompts"]] == [pid]
    assert "cabin" in ok(ima2(stack.home, "prompt", "ls", "--search", "cozy")).stdout
    assert "golden hour" in ok(ima2(stack.home, "prompt", "show", pid)).stdout
    ok(ima2(stack.home, "prompt", "edit", pid, "--text", "a cabin at dusk", "--name", "cabin v2"))
    assert (
        server_prompt(stack, pid)["text"] == "a cabin at dusk"
        and server_prompt(stack, pid)["name"] == "cabin v2"
    )
    assert as_json(ok(ima2(stack.home, "prompt", "favorite", pid, "--json")))["isFavorite"] is True
    favs = as_json(ok(ima2(stack.home, "prompt", "ls", "--favorites", "--json")))
    assert pid in [p["id"] for p in favs["prompts"]]
    out = tmp_path / "prompts.json"
    ok(ima2(stack.home, "prompt", "export", "-o", str(out)))
    assert "a cabin at dusk" in out.read_text() and json.loads(out.read_text())
    ok(ima2(stack.home, "prompt", "folder", "rename", folder, "Old cabins"))
    names = {f["id"]: f["name"] for f in api(stack, "GET", "/api/prompts/folders").json()["folders"]}
    assert names[folder] == "Old cabins"
    assert "Old cabins" in ok(ima2(stack.home, "prompt", "folder", "ls")).stdout
    ok(ima2(stack.home, "prompt", "rm", pid))
    assert server_prompt(stack, pid)["folderId"] == "__trash__"
    ok(ima2(stack.home, "prompt", "folder", "rm", folder))
    assert folder not in [f["id"] for f in api(stack, "GET", "/api/prompts/folders").json()["folders"]]
    assert_error(ima2(stack.home, "prompt", "edit", pid, "--json"), 2, "USAGE")
    assert ima2(stack.home, "prompt", "create", "--stdin", stdin="from stdin").returncode == 0
