"""Uploading a generated image to a ComfyUI server (`POST {comfy}/upload/image`).

The ComfyUI URL (IMA2_COMFY_URL, default http://127.0.0.1:8188) must be a plain http URL on a
loopback host: no credentials, query or fragment (a path prefix is allowed, for a ComfyUI behind
a reverse proxy). The image is read strictly inside the generated folder, sniffed (PNG, JPEG,
WebP only), capped in size, and uploaded as `ima2_<ms>_<safe stem>.<ext>` into ComfyUI's input
folder. ComfyUI's own answer gives the stored name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import sniff_mime
from ima2_gateway.media_files import resolve_media

log = logging.getLogger("ima2.gateway.comfy")
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
LOCAL_NAMES = ("localhost",)
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ComfyExport:
    source_filename: str
    uploaded_filename: str
    subfolder: str
    type: str


def comfy_origin(raw: str) -> str:
    """The upload base (scheme://host:port[/prefix]) or COMFY_URL_NOT_LOCAL."""
    value = (raw or "").strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise Ima2Error("COMFY_URL_NOT_LOCAL", "The ComfyUI URL is invalid.") from None
    if parts.scheme != "http" or parts.username or parts.password or parts.query or parts.fragment:
        raise Ima2Error("COMFY_URL_NOT_LOCAL", "The ComfyUI URL must be a plain http URL.")
    host = (parts.hostname or "").lower()
    if host not in LOCAL_NAMES:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        # only canonical dotted or bracketed forms count (no 0x7f.1, 2130706433 and the like)
        canonical = (host.startswith("127.") and host.count(".") == 3) or host == "::1"
        if not (loopback and canonical):
            raise Ima2Error("COMFY_URL_NOT_LOCAL", "The ComfyUI URL must point to this machine.")
    if port is None:
        raise Ima2Error("COMFY_URL_NOT_LOCAL", "The ComfyUI URL needs an explicit port.")
    path = parts.path.rstrip("/")
    if ".." in path.split("/"):
        raise Ima2Error("COMFY_URL_NOT_LOCAL", "The ComfyUI URL is invalid.")
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"http://{netloc}{path}"


def check_filename(filename: str) -> str:
    """One plain generated file name (no folders, no URL schemes, no encoded separators)."""
    if not isinstance(filename, str) or not filename.strip():
        raise Ima2Error("COMFY_IMAGE_INVALID", "A generated filename is required.")
    decoded = unquote(filename)
    if (
        "/" in decoded
        or "\\" in decoded
        or ".." in filename
        or "\x00" in filename
        or re.match(r"^[a-z][a-z0-9+.-]*:", filename, re.IGNORECASE)
    ):
        raise Ima2Error("COMFY_IMAGE_INVALID", "Generated filename is invalid.")
    return filename


def upload_name(filename: str, ext: str, now_ms: int) -> str:
    stem = UNSAFE_NAME.sub("_", PurePosixPath(filename).stem).strip("._-") or "image"
    return f"ima2_{now_ms}_{stem[:80]}.{ext}"


class ComfyExporter:
    def __init__(
        self,
        generated_dir: Path,
        comfy_url: str,
        http: httpx.AsyncClient,
        timeout_seconds: float = limits.COMFY_UPLOAD_TIMEOUT_SECONDS,
        max_bytes: int = limits.COMFY_MAX_UPLOAD_BYTES,
    ) -> None:
        self.generated_dir = generated_dir
        self.comfy_url = comfy_url
        self.http = http
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes

    def _read(self, filename: str) -> tuple[bytes, str]:
        try:
            path, info = resolve_media(self.generated_dir, check_filename(filename))
        except Ima2Error as err:
            if err.code in ("ASSET_NOT_FOUND", "NOT_FOUND"):
                raise Ima2Error("COMFY_IMAGE_NOT_FOUND") from None
            raise Ima2Error("COMFY_IMAGE_INVALID", "Generated filename is invalid.") from None
        if info.st_size > self.max_bytes:
            raise Ima2Error("COMFY_IMAGE_INVALID", "Generated image is too large.")
        data = path.read_bytes()
        mime = sniff_mime(data)
        if mime not in EXTENSIONS:
            raise Ima2Error("COMFY_IMAGE_INVALID", "Generated file is not a supported image.")
        return data, mime

    async def export(self, filename: str) -> ComfyExport:
        base = comfy_origin(self.comfy_url)
        data, mime = await asyncio.to_thread(self._read, filename)
        name = upload_name(filename, EXTENSIONS[mime], int(time.time() * 1000))
        started = time.monotonic()
        try:
            response = await self.http.post(
                f"{base}/upload/image",
                files={"image": (name, data, mime)},
                data={"type": "input", "overwrite": "false"},
                timeout=self.timeout_seconds,
                follow_redirects=False,
            )
        except httpx.TimeoutException:
            raise Ima2Error("COMFY_TIMEOUT") from None
        except httpx.HTTPError:
            raise Ima2Error("COMFY_UNREACHABLE", f"ComfyUI could not be reached at {base}.") from None
        fields = {
            "status": response.status_code,
            "bytes": len(data),
            "ms": round((time.monotonic() - started) * 1000),
        }
        if response.status_code != 200:
            log.warning("comfy upload refused", extra=log_fields(**fields))
            raise Ima2Error(
                "COMFY_UPLOAD_FAILED",
                f"ComfyUI refused the upload (HTTP {response.status_code}).",
                extra={"upstreamStatus": response.status_code},
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        stored = answer.get("name") if isinstance(answer, dict) else None
        if not isinstance(stored, str) or not stored.strip():
            raise Ima2Error("COMFY_UPLOAD_FAILED", "ComfyUI answered without the stored file name.")
        log.info("comfy upload", extra=log_fields(**fields))
        return ComfyExport(
            source_filename=filename,
            uploaded_filename=stored,
            subfolder=str(answer.get("subfolder") or ""),
            type=str(answer.get("type") or "input"),
        )
