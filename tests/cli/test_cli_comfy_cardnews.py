"""comfy export (what reached the sandbox's ComfyUI, --url, errors) and cardnews (gated on the
server's features.cardNews: exit 2 with a clear message, no card-news route called)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.cli.support import TinyServer, as_json, assert_error, fault, ima2, ok
from tests.stackctl import RunningStack


def comfy_uploads(stack: RunningStack) -> list[dict[str, Any]]:
    calls = httpx.get(f"{stack.sandbox_url}/_sandbox/requests", params={"upstream": "comfy"}, timeout=10)
    return [c for c in calls.json()["requests"] if c["path"].endswith("/upload/image")]


@pytest.fixture
def picture(faults: RunningStack) -> Iterator[tuple[str, bytes]]:
    """A PNG in the generated folder (where the gateway reads gallery images)."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "teal").save(buffer, "PNG")
    name = f"cli_comfy_{uuid.uuid4().hex[:8]}.png"
    path = faults.home / "generated" / name
    path.write_bytes(buffer.getvalue())
    httpx.delete(f"{faults.sandbox_url}/_sandbox/requests", timeout=10)
    yield name, buffer.getvalue()
    path.unlink(missing_ok=True)


def test_comfy_export(picture: tuple[str, bytes], stack: RunningStack) -> None:
    name, data = picture
    stem = name.removesuffix(".png")
    result = ok(ima2(stack.home, "comfy", "export", name))
    uploaded = result.stdout.strip().splitlines()[0]
    assert uploaded.startswith("ima2_") and uploaded.endswith(f"_{stem}.png")
    (call,) = comfy_uploads(stack)
    assert call["method"] == "POST"
    comfy = f"{stack.sandbox_url}/comfy"
    view = httpx.get(f"{comfy}/view", params={"filename": uploaded, "type": "input"}, timeout=10)
    assert view.status_code == 200 and view.content == data  # the very bytes reached ComfyUI

    body = as_json(
        ok(ima2(stack.home, "comfy", "export", f"{stack.url}/generated/{name}", "--url", comfy, "--json"))
    )
    assert body["ok"] is True and body["sourceFilename"] == name and body["type"] == "input"
    assert body["viewUrl"].startswith(f"{comfy}/view?filename=")
    assert httpx.get(body["viewUrl"], timeout=10).content == data
    assert len(comfy_uploads(stack)) == 2


def test_comfy_export_errors(picture: tuple[str, bytes], stack: RunningStack) -> None:
    name, _ = picture
    assert_error(
        ima2(stack.home, "comfy", "export", "missing.png", "--json"), 5, "COMFY_IMAGE_NOT_FOUND", 404
    )
    assert_error(ima2(stack.home, "comfy", "export", "..%2Fx.png", "--json"), 5, "COMFY_IMAGE_INVALID", 400)
    assert_error(ima2(stack.home, "comfy", "export", name, "--url", "ftp://x", "--json"), 2, "USAGE")
    assert comfy_uploads(stack) == []
    fault(stack, upstream="comfy", path="/upload/image", status=500)
    assert_error(ima2(stack.home, "comfy", "export", name, "--json"), 6, "COMFY_UPLOAD_FAILED", 502)


@pytest.mark.parametrize("args", [("sets",), ("sets", "set_1"), ("templates",), ("roles",), ("jobs",)])
def test_cardnews_exits_2_when_the_feature_is_off(stack: RunningStack, args: tuple[str, ...]) -> None:
    assert httpx.get(f"{stack.url}/api/capabilities", timeout=10).json()["features"]["cardNews"] is False
    body = assert_error(ima2(stack.home, "cardnews", *args, "--json"), 2, "CARDNEWS_DISABLED")
    assert "card news is not enabled on this server" in body["error"] and body["status"] is None
    human = ima2(stack.home, "cardnews", *args)
    assert human.returncode == 2 and human.stdout == ""
    assert "features.cardNews is off" in human.stderr and "hint:" in human.stderr


def test_cardnews_calls_no_card_news_route_when_off(stack: RunningStack) -> None:
    with TinyServer() as server:  # answers capabilities without features: card news is off
        result = ima2(stack.home, "cardnews", "sets", "--server", server.url)
        assert result.returncode == 2 and "CARDNEWS_DISABLED" in result.stderr
        paths = [seen["path"] for seen in server.seen]
        assert "/api/capabilities" in paths and not any(p.startswith("/api/cardnews") for p in paths)


def test_cardnews_calls_its_route_when_the_feature_is_on(stack: RunningStack) -> None:
    answer = {"features": {"cardNews": True}, "sets": [{"id": "cn_1", "title": "Launch week"}]}
    with TinyServer(payload=answer) as server:
        listed = ok(ima2(stack.home, "cardnews", "sets", "--server", server.url))
        assert "cn_1" in listed.stdout and "Launch week" in listed.stdout
        shown = as_json(ok(ima2(stack.home, "cardnews", "sets", "cn 1", "--server", server.url, "--json")))
        assert shown["sets"][0]["id"] == "cn_1"
        paths = [seen["path"] for seen in server.seen if seen["path"] != "/api/health"]
        assert paths == [
            "/api/capabilities",
            "/api/cardnews/sets",
            "/api/capabilities",
            "/api/cardnews/sets/cn%201",
        ]
