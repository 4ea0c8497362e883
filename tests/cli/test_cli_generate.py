"""gen, edit (--mask), multimode, node generate/show: files written where asked, paths printed,
history rows on the server, `--json` documents, and options placed before or after the command."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from tests.cli.support import as_json, history, ima2, ok
from tests.stackctl import RunningStack


def png(path: Path, size: tuple[int, int] = (64, 64), color: tuple[int, ...] = (200, 30, 30, 255)) -> Path:
    Image.new("RGBA", size, color).save(path)
    return path


def test_gen_saves_to_out_and_prints_the_path(stack: RunningStack, tmp_path: Path) -> None:
    target = tmp_path / "cat.png"
    result = ok(ima2(stack.home, "gen", "a", "red", "cat", "-q", "high", "-o", str(target)))
    assert result.stdout.strip() == str(target)
    assert Image.open(io.BytesIO(target.read_bytes())).format == "PNG"
    rows = [r for r in history(stack) if r.get("prompt") == "a red cat"]
    assert len(rows) == 1 and rows[0]["quality"] == "high"
    # the saved file is the stored one, with its embedded metadata
    assert target.read_bytes() == (stack.home / "generated" / rows[0]["filename"]).read_bytes()


def test_gen_json_count_and_out_dir(stack: RunningStack, tmp_path: Path) -> None:
    result = ok(ima2(stack.home, "gen", "two dogs", "-n", "2", "-d", str(tmp_path / "out"), "--json"))
    body = as_json(result)
    assert body["ok"] is True and body["requestId"].startswith("cli_")
    assert len(body["files"]) == 2 and all(Path(f).is_file() for f in body["files"])
    assert all(Path(f).parent == tmp_path / "out" for f in body["files"])
    assert all("image" not in item and item["path"] in body["files"] for item in body["items"])
    rows = history(stack, requestId=body["requestId"])
    assert sorted(r["filename"] for r in rows) == sorted(Path(f).name for f in body["files"])


def test_global_options_before_the_command_and_prompt_from_stdin(stack: RunningStack, tmp_path: Path) -> None:
    result = ok(
        ima2(
            tmp_path / "elsewhere",
            "--server",
            stack.url,
            "--json",
            "gen",
            "--stdin",
            "-d",
            str(tmp_path),
            stdin="a prompt from stdin\n",
        )
    )
    body = as_json(result)
    assert [r["prompt"] for r in history(stack, requestId=body["requestId"])] == ["a prompt from stdin"]


def test_gen_with_a_reference_and_no_save(stack: RunningStack, tmp_path: Path) -> None:
    ref = png(tmp_path / "ref.png")
    result = ok(ima2(stack.home, "gen", "like this", "--ref", str(ref), "--no-save", "--json", cwd=tmp_path))
    body = as_json(result)
    assert body["files"] == [] and sorted(p.name for p in tmp_path.iterdir()) == ["ref.png"]
    [row] = history(stack, requestId=body["requestId"])
    assert row["refsCount"] == 1


def test_gen_without_a_prompt_is_a_usage_error(stack: RunningStack) -> None:
    result = ima2(stack.home, "gen", "--json")
    assert result.returncode == 2
    assert as_json(result)["code"] == "USAGE"


def test_edit_with_a_mask(stack: RunningStack, tmp_path: Path) -> None:
    source = png(tmp_path / "in.png")
    mask = png(tmp_path / "mask.png", color=(0, 0, 0, 0))
    out = tmp_path / "edited.png"
    result = ok(
        ima2(
            stack.home,
            "edit",
            str(source),
            "-p",
            "make it night",
            "--mask",
            str(mask),
            "-o",
            str(out),
            "--json",
        )
    )
    body = as_json(result)
    assert body["files"] == [str(out)] and out.is_file()
    [row] = history(stack, requestId=body["requestId"])
    assert row["kind"] == "edit" and "mask" in row["revisedPrompt"]
    # a mask of another size is refused by the server: exit 5 with its code
    bad = png(tmp_path / "bad.png", size=(10, 10), color=(0, 0, 0, 0))
    refused = ima2(stack.home, "edit", str(source), "-p", "x", "--mask", str(bad), "--json")
    assert refused.returncode == 5 and as_json(refused)["code"] == "EDIT_MASK_DIMENSION_MISMATCH"


def test_multimode_saves_each_image(stack: RunningStack, tmp_path: Path) -> None:
    result = ok(ima2(stack.home, "multimode", "a story", "--max-images", "3", "-d", str(tmp_path), "--json"))
    body = as_json(result)
    assert body["status"] == "complete" and body["sequenceId"].startswith("seq_")
    assert len(body["files"]) == 3 and all(Path(f).is_file() for f in body["files"])
    rows = history(stack, requestId=body["requestId"])
    assert sorted(r["filename"] for r in rows) == sorted(Path(f).name for f in body["files"])


def test_node_generate_child_and_show(stack: RunningStack, tmp_path: Path) -> None:
    session = ok(ima2(stack.home, "session", "create", "nodes")).stdout.strip()
    root = as_json(
        ok(
            ima2(
                stack.home,
                "node",
                "generate",
                "-p",
                "root",
                "--session",
                session,
                "-o",
                str(tmp_path / "r.png"),
                "--json",
            )
        )
    )
    assert root["nodeId"] and (tmp_path / "r.png").is_file()
    child = as_json(
        ok(
            ima2(
                stack.home,
                "node",
                "generate",
                "-p",
                "add a hat",
                "--node",
                root["nodeId"],
                "--session",
                session,
                "--no-stream",
                "-d",
                str(tmp_path),
                "--json",
            )
        )
    )
    assert child["parentNodeId"] == root["nodeId"] and Path(child["files"][0]).is_file()
    shown = as_json(ok(ima2(stack.home, "node", "show", child["nodeId"], "--json")))
    assert shown["nodeId"] == child["nodeId"] and shown["meta"]["parentNodeId"] == root["nodeId"]
    text = ok(ima2(stack.home, "node", "show", child["nodeId"]))
    assert child["nodeId"] in text.stdout and "/generated/" in text.stdout
    missing = ima2(stack.home, "node", "show", "n_nope", "--json")
    assert missing.returncode == 5 and as_json(missing)["code"] == "NODE_NOT_FOUND"
