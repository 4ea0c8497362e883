"""Reading card news sets: `generated/cardnews/<setId>/manifest.json` and its card images.

The gateway only reads this folder (svc-library writes it). Set ids are checked against the shared
pattern and every path is resolved inside the card news folder. Reads run in a thread.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from ima2_common import cardnews
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.gateway.cardnews")


class CardNewsSets:
    def __init__(self, generated_dir: Path) -> None:
        self.root = generated_dir / cardnews.DIR_NAME

    def _folder(self, set_id: str) -> Path:
        cardnews.check_set_id(set_id)
        folder = (self.root / set_id).resolve()
        if folder.parent != self.root.resolve():
            raise Ima2Error("CARD_NEWS_SET_NOT_FOUND")
        return folder

    def _read(self, folder: Path) -> dict[str, Any] | None:
        try:
            manifest = json.loads((folder / cardnews.MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning(
                "card news manifest unreadable", extra=log_fields(set=folder.name, error=type(exc).__name__)
            )
            return None
        ok = isinstance(manifest, dict) and manifest.get("setId") == folder.name
        return manifest if ok and isinstance(manifest.get("cards"), list) else None

    def _all(self) -> list[dict[str, Any]]:
        try:
            folders = [p for p in self.root.iterdir() if p.is_dir() and cardnews.SET_ID_RE.match(p.name)]
        except FileNotFoundError:
            return []
        manifests = [m for m in (self._read(f) for f in folders) if m is not None]
        manifests.sort(key=lambda m: (-int(m.get("createdAt") or 0), str(m["setId"])))
        return manifests

    async def manifest(self, set_id: str) -> dict[str, Any]:
        folder = self._folder(set_id)
        manifest = await asyncio.to_thread(self._read, folder)
        if manifest is None:
            raise Ima2Error("CARD_NEWS_SET_NOT_FOUND")
        return manifest

    async def all(self) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self._all)

    async def by_job(self, job_id: str) -> dict[str, Any]:
        if cardnews.JOB_ID_RE.match(job_id):
            for manifest in await self.all():
                if job_id in (manifest.get("jobIds") or []):
                    return manifest
        raise Ima2Error("CARD_NEWS_JOB_NOT_FOUND")

    def _zip(self, folder: Path, manifest: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(cardnews.MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False))
            for card in manifest["cards"]:
                name = card.get("imageFilename") if isinstance(card, dict) else None
                if not isinstance(name, str) or not cardnews.CARD_FILE_RE.match(name):
                    continue
                path = folder / name
                if path.is_file():
                    archive.write(path, name, compress_type=zipfile.ZIP_STORED)
        return buffer.getvalue()

    async def export(self, set_id: str) -> bytes:
        manifest = await self.manifest(set_id)
        return await asyncio.to_thread(self._zip, self._folder(set_id), manifest)


# -- job and set views ----------------------------------------------------------------------------

JOB_CARD_FIELDS = ("id", "order", "status", "error", "imageFilename", "url", "generatedAt")


def job_view(manifest: dict[str, Any], job_id: str | None = None) -> dict[str, Any]:
    cards = [c for c in manifest["cards"] if isinstance(c, dict)]
    return {
        "jobId": job_id or manifest.get("jobId"),
        "setId": manifest["setId"],
        "requestId": manifest.get("requestId"),
        "status": cardnews.job_status(cards) if manifest.get("status") != "queued" else "queued",
        "total": len(cards),
        "generated": sum(1 for c in cards if c.get("status") == "generated"),
        "errors": sum(1 for c in cards if c.get("status") == "error"),
        "cards": [{k: c.get(k) for k in JOB_CARD_FIELDS} for c in cards],
        "updatedAt": manifest.get("updatedAt"),
    }


def set_view(manifest: dict[str, Any]) -> dict[str, Any]:
    set_id = str(manifest["setId"])
    cards = [c for c in manifest["cards"] if isinstance(c, dict)]
    first = next((c for c in cards if c.get("imageFilename")), None)
    return {
        "setId": set_id,
        "id": set_id,
        "title": manifest.get("title") or "Untitled card news",
        "status": manifest.get("status") or cardnews.job_status(cards),
        "cardCount": len(cards),
        "createdAt": int(manifest.get("createdAt") or 0),
        "updatedAt": manifest.get("updatedAt"),
        "sessionId": manifest.get("sessionId"),
        "jobId": manifest.get("jobId"),
        "manifestUrl": f"/api/cardnews/sets/{set_id}/manifest",
        "folderLabel": f"generated/{cardnews.DIR_NAME}/{set_id}",
        "url": cardnews.card_url(set_id, first.get("imageFilename") if first else None),
        "cards": [
            {
                "id": c.get("id"),
                "order": c.get("order"),
                "headline": c.get("headline") or "",
                "body": c.get("body") or "",
                "status": c.get("status"),
                "imageFilename": c.get("imageFilename"),
                "url": c.get("url"),
            }
            for c in cards
        ],
    }


def plan_view(manifest: dict[str, Any]) -> dict[str, Any]:
    keys = ("setId", "title", "topic", "imageTemplateId", "roleTemplateId", "size", "generationStrategy")
    plan = {k: manifest.get(k) or "" for k in keys}
    plan["cards"] = [c for c in manifest["cards"] if isinstance(c, dict)]
    return plan


# -- template previews: a small PNG of the template's layout in its palette ----------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def template_preview(template: cardnews.ImageTemplate, side: int = 256) -> bytes:
    """Background, a headline band, a visual block and a body band: where the template puts them."""
    palette = [_rgb(c) for c in template.palette]
    background, ink, soft, accent = (palette + palette)[:4]
    rows = []
    for y in range(side):
        row = bytearray(b"\x00")
        for x in range(side):
            colour = background
            if side * 0.08 <= y < side * 0.22 and side * 0.1 <= x < side * 0.9:
                colour = ink
            elif side * 0.3 <= y < side * 0.72 and side * 0.18 <= x < side * 0.82:
                colour = soft if (x // 16 + y // 16) % 2 else accent
            elif side * 0.78 <= y < side * 0.9 and side * 0.14 <= x < side * 0.86:
                colour = ink if y % 8 < 5 else background
            row += bytes(colour)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
