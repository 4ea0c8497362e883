"""ls (filters, paging), show --metadata, metadata, history rm/restore/favorite/import, annotate,
canvas-versions and backfill-thumbs (through the server and offline), checked on the server."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.cli.support import api, as_json, assert_error, browser_id, history, ima2, ok
from tests.stackctl import RunningStack


def generate(stack: RunningStack, prompt: str, tmp_path: Path, **extra: str) -> dict:
    args = ["gen", prompt, "-d", str(tmp_path), "--json"]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return as_json(ok(ima2(stack.home, *args)))


def test_ls_table_json_session_filter_and_paging(stack: RunningStack, tmp_path: Path) -> None:
    session = ok(ima2(stack.home, "session", "create", "ls-filter")).stdout.strip()
    made = [
        generate(stack, f"ls item {i}", tmp_path, session=session)["items"][0]["filename"] for i in range(3)
    ]
    table = ok(ima2(stack.home, "ls", "--session", session))
    assert all(name in table.stdout for name in made) and "ls item 1" in table.stdout
    page = as_json(ok(ima2(stack.home, "ls", "--session", session, "--limit", "2", "--json")))
    assert [i["filename"] for i in page["items"]] == made[::-1][:2]
    cursor = page["nextCursor"]
    rest = as_json(
        ok(
            ima2(
                stack.home,
                "ls",
                "--session",
                session,
                "--limit",
                "2",
                "--json",
                "--before",
                str(cursor["before"]),
                "--before-filename",
                cursor["beforeFilename"],
            )
        )
    )
    assert [i["filename"] for i in rest["items"]] == [made[0]] and rest["nextCursor"] is None
    text = ok(ima2(stack.home, "ls", "--session", session, "--limit", "2"))
    assert f"--before-filename {cursor['beforeFilename']}" in text.stderr


def test_favorite_is_the_clis_own_and_ls_favorites(stack: RunningStack, tmp_path: Path) -> None:
    name = generate(stack, "fav me", tmp_path)["items"][0]["filename"]
    assert as_json(ok(ima2(stack.home, "history", "favorite", name, "--json"))) == {"isFavorite": True}
    mine = history(stack, headers={"X-Ima2-Browser-Id": browser_id(stack.home)}, favoritesOnly="1")
    assert name in [r["filename"] for r in mine]
    other = history(stack, headers={"X-Ima2-Browser-Id": "some-browser"}, favoritesOnly="1")
    assert name not in [r["filename"] for r in other]
    listed = as_json(ok(ima2(stack.home, "ls", "--favorites", "--json")))
    assert name in [i["filename"] for i in listed["items"]] and all(i["isFavorite"] for i in listed["items"])
    assert "not a favourite" in ok(ima2(stack.home, "history", "favorite", name)).stdout


def test_rm_restore_and_permanent(stack: RunningStack, tmp_path: Path) -> None:
    name = generate(stack, "delete me", tmp_path)["items"][0]["filename"]
    removed = as_json(ok(ima2(stack.home, "history", "rm", name, "--json")))
    assert removed["ok"] is True and removed["trashId"]
    assert name not in [r["filename"] for r in history(stack)]
    restored = as_json(
        ok(ima2(stack.home, "history", "restore", name, "--trash-id", removed["trashId"], "--json"))
    )
    assert restored["item"]["filename"] == name and name in [r["filename"] for r in history(stack)]
    text = ok(ima2(stack.home, "history", "rm", "--permanent", name))
    assert f"deleted {name}" in text.stdout
    assert not (stack.home / "generated" / name).exists()
    assert_error(ima2(stack.home, "history", "rm", name, "--json"), 5, "ASSET_NOT_FOUND", 404)


def test_import_show_metadata(stack: RunningStack, tmp_path: Path) -> None:
    source = tmp_path / "holiday.jpg"
    Image.new("RGB", (32, 24), (10, 120, 200)).save(source, "JPEG")
    body = as_json(ok(ima2(stack.home, "history", "import", str(source), "--json")))
    name = body["item"]["filename"]
    assert name.startswith("imported-") and name in [r["filename"] for r in history(stack)]
    generated = generate(stack, "with metadata", tmp_path)
    gname = generated["items"][0]["filename"]
    shown = as_json(
        ok(ima2(stack.home, "show", gname, "--metadata", "-o", str(tmp_path / "copy.png"), "--json"))
    )
    assert shown["mime"] == "image/png" and shown["metadata"]["prompt"] == "with metadata"
    assert (tmp_path / "copy.png").read_bytes() == (stack.home / "generated" / gname).read_bytes()
    read = as_json(ok(ima2(stack.home, "metadata", generated["files"][0], "--json")))
    assert read["ok"] is True and read["source"] == "xmp" and read["metadata"]["prompt"] == "with metadata"
    assert "prompt" in ok(ima2(stack.home, "metadata", generated["files"][0])).stdout
    plain = as_json(ok(ima2(stack.home, "metadata", str(source), "--json")))
    assert plain["metadata"] is None
    missing = ima2(stack.home, "metadata", str(tmp_path / "nope.png"), "--json")
    assert_error(missing, 2, "FILE_NOT_FOUND")


def test_annotate_set_get_rm(stack: RunningStack, tmp_path: Path) -> None:
    name = generate(stack, "annotate me", tmp_path)["items"][0]["filename"]
    payload = (
        '{"paths": [], "boxes": [{"x": 1, "y": 2, "w": 3, "h": 4}], "memos": [{"text": "fix the hand"}]}'
    )
    ok(ima2(stack.home, "annotate", "set", name, "-", stdin=payload))
    headers = {"X-Ima2-Browser-Id": browser_id(stack.home)}
    stored = api(stack, "GET", f"/api/annotations/{name}", headers=headers).json()["annotations"]
    assert stored["memos"] == [{"text": "fix the hand"}] and len(stored["boxes"]) == 1
    assert (
        api(stack, "GET", f"/api/annotations/{name}", headers={"X-Ima2-Browser-Id": "b"}).json()[
            "annotations"
        ]
        is None
    )
    assert "memo: fix the hand" in ok(ima2(stack.home, "annotate", "get", name)).stdout
    assert as_json(ok(ima2(stack.home, "annotate", "get", name, "--json")))["annotations"] == stored
    ok(ima2(stack.home, "annotate", "rm", name))
    assert api(stack, "GET", f"/api/annotations/{name}", headers=headers).json()["annotations"] is None
    bad = ima2(stack.home, "annotate", "set", name, "-", "--json", stdin="not json")
    assert_error(bad, 2, "INVALID_JSON")


def test_canvas_versions_save_and_update(stack: RunningStack, tmp_path: Path) -> None:
    name = generate(stack, "canvas base", tmp_path)["items"][0]["filename"]
    edited = tmp_path / "edited.png"
    Image.new("RGBA", (40, 40), (0, 255, 0, 255)).save(edited)
    saved = as_json(ok(ima2(stack.home, "canvas-versions", "save", str(edited), "--source", name, "--json")))
    canvas = saved["item"]["filename"]
    stored = stack.home / "generated" / canvas
    assert canvas.startswith("canvas-") and Image.open(stored).convert("RGBA").getpixel((5, 5)) == (
        0,
        255,
        0,
        255,
    )
    assert canvas in [r["filename"] for r in history(stack)]
    Image.new("RGBA", (40, 40), (0, 0, 255, 255)).save(edited)
    updated = ok(ima2(stack.home, "canvas-versions", "update", canvas, str(edited)))
    assert updated.stdout.strip() == canvas
    assert Image.open(stored).convert("RGBA").getpixel((5, 5)) == (0, 0, 255, 255)


def test_backfill_thumbs_server_and_offline(stack: RunningStack, tmp_path: Path) -> None:
    name = generate(stack, "thumb me", tmp_path)["items"][0]["filename"]
    thumb = stack.home / "generated" / (Path(name).stem + ".thumb.jpg")
    assert thumb.exists()
    thumb.unlink()
    body = as_json(ok(ima2(stack.home, "backfill-thumbs", "--json")))
    assert body["mode"] == "server" and body["created"] >= 1 and thumb.exists()
    thumb.unlink()
    offline = as_json(ok(ima2(stack.home, "backfill-thumbs", "--offline", "--json")))
    assert offline["mode"] == "offline" and offline["created"] >= 1 and offline["failed"] == 0
    assert thumb.exists()
    assert "created" in ok(ima2(stack.home, "backfill-thumbs", "--offline")).stdout
