"""POST /api/comfy/export-image through the gateway to the sandbox's ComfyUI upload emulator: the
bytes ComfyUI stores, the multipart form it receives, every documented refusal with the
`{ok:false, error:{code,message}}` envelope, and ComfyUI's own refusals."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.stackctl import RunningStack

ROUTE = "/api/comfy/export-image"


def comfy_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["ok"] is False and body["error"]["code"] == code and body["error"]["message"], body
    return body


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "teal").save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def generated(stack: RunningStack) -> Iterator[dict[str, bytes]]:
    """Three images written straight into the generated folder (the gateway reads it directly),
    removed again afterwards with anything else a test put there."""
    tag = uuid.uuid4().hex[:8]
    files = {
        f"comfy {tag}.png": image_bytes("PNG"),
        f"comfy_{tag}.jpeg": image_bytes("JPEG"),
        f"comfy_{tag}.webp": image_bytes("WEBP"),
    }
    folder = stack.home / "generated"
    for name, data in files.items():
        (folder / name).write_bytes(data)
    yield files
    for name in [*files, "comfy-notes.png", "comfy-clip.mp4"]:
        (folder / name).unlink(missing_ok=True)


async def test_export_uploads_the_image(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, generated: dict[str, bytes]
) -> None:
    await sandbox.delete("/_sandbox/requests")
    for name, data in generated.items():
        response = await client.post(ROUTE, json={"filename": name})
        assert response.status_code == 200, response.text
        body = response.json()
        ext = {"png": "png", "jpeg": "jpg", "webp": "webp"}[name.rsplit(".", 1)[1]]
        assert body["ok"] is True and body["sourceFilename"] == name
        assert body["uploadedFilename"].startswith("ima2_") and body["uploadedFilename"].endswith(f".{ext}")
        assert " " not in body["uploadedFilename"]
        assert (body["type"], body["subfolder"]) == ("input", "")
        stored = await sandbox.get(
            "/comfy/view", params={"filename": body["uploadedFilename"], "type": "input"}
        )
        assert stored.status_code == 200 and stored.content == data
    uploads = [
        c
        for c in (await sandbox.get("/_sandbox/requests")).json()["requests"]
        if c["upstream"] == "comfy" and c["method"] == "POST"
    ]
    assert len(uploads) == 3 and all(c["path"] == "/comfy/upload/image" for c in uploads)
    assert all(c["headers"]["content-type"].startswith("multipart/form-data") for c in uploads)


async def test_refused_requests(
    client: httpx.AsyncClient, generated: dict[str, bytes], stack: RunningStack
) -> None:
    name = next(iter(generated))
    (stack.home / "generated" / "comfy-notes.png").write_text("plain text")
    (stack.home / "generated" / "comfy-clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    cases: list[tuple[Any, int, str]] = [
        ({}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": name, "extra": 1}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": 5}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": ""}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": "../config.json"}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": "sub/x.png"}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": "..%2Fserver.json"}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": ".trash"}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": "comfy-notes.png"}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": "comfy-clip.mp4"}, 400, "COMFY_IMAGE_INVALID"),
        ({"filename": "missing-image.png"}, 404, "COMFY_IMAGE_NOT_FOUND"),
    ]
    for body, status, code in cases:
        comfy_error(await client.post(ROUTE, json=body), status, code)
    comfy_error(await client.post(ROUTE, content=b"[1]"), 400, "INVALID_BODY")


async def test_comfy_refusals(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, generated: dict[str, bytes]
) -> None:
    name = next(iter(generated))
    for status in (400, 500):
        await sandbox.post(
            "/_sandbox/faults", json={"upstream": "comfy", "path": "/upload/image", "status": status}
        )
        body = comfy_error(await client.post(ROUTE, json={"filename": name}), 502, "COMFY_UPLOAD_FAILED")
        assert str(status) in body["error"]["message"]
    await sandbox.post(
        "/_sandbox/faults",
        json={"upstream": "comfy", "path": "/upload/image", "status": 200, "body": {"unexpected": True}},
    )
    comfy_error(await client.post(ROUTE, json={"filename": name}), 502, "COMFY_UPLOAD_FAILED")
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "comfy", "path": "/upload/image", "mode": "drop"}
    )
    comfy_error(await client.post(ROUTE, json={"filename": name}), 502, "COMFY_UNREACHABLE")
    assert (await client.post(ROUTE, json={"filename": name})).status_code == 200  # faults were one-shot
