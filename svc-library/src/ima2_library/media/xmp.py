"""Generation metadata embedded in images as XMP (reference §2.3).

The packet holds one `rdf:Description` in the namespace `https://github.com/lidge-jun/ima2-gen/ns/1.0/`
with the attribute `ima2:GenerationMetadata="<XML-escaped JSON>"`. The JSON carries
`schema: "ima2.generation.v1"`, `app: "ima2-gen"` and a fixed set of metadata fields; prompts
are capped at 4000 characters, other strings at 240, the whole JSON at 64 KB.

Embedding splices the packet into the container instead of re-encoding the pixels: an
`iTXt` chunk `XML:com.adobe.xmp` right after IHDR for PNG, an APP1 segment after SOI/APP0 for
JPEG, and an `XMP ` chunk (with a VP8X header when the file had none) for WebP. That keeps
the image bit-exact and costs no decode. Pillow 13 writes XMP only by re-encoding (JPEG
`xmp=`, WebP `xmp=`; PNG through `PngInfo.add_itxt`), which would recompress lossy JPEG/WebP,
so Pillow is used here to check the result opens and to read JPEG/WebP packets back.
"""

from __future__ import annotations

import html
import io
import json
import re
import struct
import zlib
from typing import Any

from PIL import Image

IMA2_SCHEMA = "ima2.generation.v1"
IMA2_APP = "ima2-gen"
IMA2_XMP_NAMESPACE = "https://github.com/lidge-jun/ima2-gen/ns/1.0/"
IMA2_XMP_PROPERTY = "GenerationMetadata"
MAX_METADATA_JSON = 64 * 1024
PROMPT_CAP = 4000
STRING_CAP = 240
JPEG_XMP_MAX = 65504  # 65535 - 2 (length) - 29 (the XMP namespace header)
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_MAX_TEXT_CHUNK = 1024 * 1024

PROMPT_FIELDS = ("prompt", "userPrompt", "revisedPrompt")
STRING_FIELDS = (
    "kind",
    "canvasSourceFilename",
    "canvasEditableFilename",
    "quality",
    "size",
    "format",
    "moderation",
    "model",
    "provider",
    "sessionId",
    "nodeId",
    "parentNodeId",
    "clientNodeId",
    "requestId",
)
NUMBER_FIELDS = ("canvasMergedAt",)
COUNT_FIELDS = ("refsCount", "webSearchCalls")
BOOL_FIELDS = ("canvasVersion", "styleSheetApplied")


class MetadataEmbedError(Exception):
    """Embedding was not possible; the caller keeps the original bytes."""


# Payload


def _string(value: Any, cap: int) -> str | None:
    return value[:cap] if isinstance(value, str) else None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer():
            return int(value)
    return value


def build_payload(
    metadata: dict[str, Any], version: str | None = None, prompt_cap: int = PROMPT_CAP
) -> dict[str, Any]:
    """The embeddable subset of `metadata`, normalized and capped. None values are left out."""
    created_at = _number(metadata.get("createdAt"))
    prompt = _string(metadata.get("prompt"), prompt_cap)
    payload: dict[str, Any] = {
        "schema": IMA2_SCHEMA,
        "app": IMA2_APP,
        "version": _string(version, STRING_CAP) if version else None,
        "createdAt": created_at,
        "prompt": prompt,
        "userPrompt": _string(metadata.get("userPrompt"), prompt_cap) or prompt,
        "revisedPrompt": _string(metadata.get("revisedPrompt"), prompt_cap),
        "promptMode": "direct" if metadata.get("promptMode") == "direct" else "auto",
    }
    for key in STRING_FIELDS:
        payload[key] = _string(metadata.get(key), STRING_CAP)
    for key in NUMBER_FIELDS:
        payload[key] = _number(metadata.get(key))
    for key in COUNT_FIELDS:
        payload[key] = _number(metadata.get(key)) or 0
    for key in BOOL_FIELDS:
        payload[key] = bool(metadata.get(key))
    return {key: value for key, value in payload.items() if value is not None}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def packet_for(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_METADATA_JSON:
        raise MetadataEmbedError("metadata payload is too large")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:ima2="{IMA2_XMP_NAMESPACE}"'
        f' ima2:{IMA2_XMP_PROPERTY}="{_xml_escape(text)}"/>'
        "</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def fit_packet(metadata: dict[str, Any], version: str | None, max_bytes: int) -> tuple[dict[str, Any], bytes]:
    """Build the packet, shortening prompts until it fits `max_bytes` and the 64 KB JSON cap."""
    cap = PROMPT_CAP
    while True:
        payload = build_payload(metadata, version, prompt_cap=cap)
        try:
            packet = packet_for(payload)
        except MetadataEmbedError:
            packet = b""
        if packet and len(packet) <= max_bytes:
            return payload, packet
        if cap == 0:
            raise MetadataEmbedError("metadata payload is too large")
        cap //= 2


_ATTR_RE = re.compile(r"""([A-Za-z_][\w.-]*):GenerationMetadata\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ELEM_RE = re.compile(r"<([A-Za-z_][\w.-]*):GenerationMetadata>([^<]*)</\1:GenerationMetadata>")


def parse_packet(text: str) -> dict[str, Any] | None:
    """The normalized ima2 payload in an XMP packet (or a PNG comment), or None."""
    if not text or IMA2_XMP_PROPERTY not in text:
        return None
    raw = None
    for match in _ATTR_RE.finditer(text):
        if _prefix_ok(text, match.group(1)):
            raw = match.group(2) if match.group(2) is not None else match.group(3)
            break
    if raw is None:
        for match in _ELEM_RE.finditer(text):
            if _prefix_ok(text, match.group(1)):
                raw = match.group(2)
                break
    if raw is None:
        return None
    try:
        value = json.loads(html.unescape(raw))
    except ValueError:
        return None
    return normalize_payload(value)


def _prefix_ok(text: str, prefix: str) -> bool:
    return prefix == "ima2" or f'xmlns:{prefix}="{IMA2_XMP_NAMESPACE}"' in text


def normalize_payload(value: Any) -> dict[str, Any] | None:
    """A payload read back: ignored unless schema and app match; re-normalized like on write."""
    if not isinstance(value, dict) or value.get("schema") != IMA2_SCHEMA or value.get("app") != IMA2_APP:
        return None
    version = value.get("version") if isinstance(value.get("version"), str) else None
    return build_payload(value, version)


# Embedding


def embed(data: bytes, mime: str, metadata: dict[str, Any], version: str | None = None) -> bytes:
    """`data` with the metadata spliced in as XMP. Raises MetadataEmbedError when it cannot."""
    try:
        if mime == "image/png":
            _, packet = fit_packet(metadata, version, MAX_METADATA_JSON * 8)
            out = _embed_png(data, packet)
        elif mime == "image/jpeg":
            _, packet = fit_packet(metadata, version, JPEG_XMP_MAX)
            out = _embed_jpeg(data, packet)
        elif mime == "image/webp":
            _, packet = fit_packet(metadata, version, MAX_METADATA_JSON * 8)
            out = _embed_webp(data, packet)
        else:
            raise MetadataEmbedError(f"no XMP support for {mime}")
    except MetadataEmbedError:
        raise
    except (ValueError, IndexError, struct.error) as exc:
        raise MetadataEmbedError(f"malformed {mime}: {exc}") from exc
    _check_opens(out, packet)
    return out


def _check_opens(data: bytes, packet: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            xmp = image.info.get("xmp")
    except Exception as exc:
        raise MetadataEmbedError(f"spliced image does not open: {exc}") from exc
    if isinstance(xmp, str):
        xmp = xmp.encode()
    if not xmp or packet not in xmp:
        raise MetadataEmbedError("spliced XMP is not visible to readers")


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes, int, int]]:
    """[(type, body, start, end)] of every chunk, validating lengths (not CRCs)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise MetadataEmbedError("not a PNG")
    chunks = []
    pos = 8
    while pos < len(data):
        if pos + 8 > len(data):
            raise MetadataEmbedError("truncated PNG chunk header")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise MetadataEmbedError("truncated PNG chunk")
        chunks.append((ctype, data[pos + 8 : pos + 8 + length], pos, end))
        pos = end
        if ctype == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise MetadataEmbedError("PNG without IHDR/IEND")
    return chunks


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)
    )


def _embed_png(data: bytes, packet: bytes) -> bytes:
    chunks = _png_chunks(data)
    itxt = _png_chunk(b"iTXt", PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet)
    parts = [data[:8], data[chunks[0][2] : chunks[0][3]], itxt]
    for ctype, body, start, end in chunks[1:]:
        if ctype == b"iTXt" and body.startswith(PNG_XMP_KEYWORD + b"\x00"):
            continue  # replace any earlier XMP packet
        parts.append(data[start:end])
    return b"".join(parts)


def _embed_jpeg(data: bytes, packet: bytes) -> bytes:
    if len(packet) > JPEG_XMP_MAX:
        raise MetadataEmbedError("XMP packet too large for one JPEG segment")
    if not data.startswith(b"\xff\xd8"):
        raise MetadataEmbedError("not a JPEG")
    segment = (
        b"\xff\xe1" + struct.pack(">H", 2 + len(JPEG_XMP_HEADER) + len(packet)) + JPEG_XMP_HEADER + packet
    )
    out = [data[:2]]
    pos = 2
    inserted = False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise MetadataEmbedError("JPEG marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            raise MetadataEmbedError("unexpected JPEG marker before scan")
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise MetadataEmbedError("truncated JPEG segment")
        body = data[pos + 4 : end]
        if not inserted and marker != 0xE0:  # JFIF APP0 must stay first
            out.append(segment)
            inserted = True
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            out.append(data[pos:])
            return b"".join(out)
        if not (marker == 0xE1 and body.startswith(JPEG_XMP_HEADER)):
            out.append(data[pos:end])
        pos = end
    raise MetadataEmbedError("JPEG without a scan")


def _webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MetadataEmbedError("not a WebP")
    riff_end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks = []
    pos = 12
    while pos + 8 <= riff_end:
        fourcc = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + size
        if end > riff_end:
            raise MetadataEmbedError("truncated WebP chunk")
        chunks.append((fourcc, data[pos + 8 : end]))
        pos = end + (size & 1)
    if not chunks:
        raise MetadataEmbedError("empty WebP")
    return chunks


def _webp_chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def _vp8x_for(fourcc: bytes, body: bytes) -> bytes:
    """A VP8X header for a simple-format WebP (canvas size and alpha from the bitstream)."""
    if fourcc == b"VP8L":
        if len(body) < 5 or body[0] != 0x2F:
            raise MetadataEmbedError("bad VP8L header")
        bits: int = struct.unpack("<I", body[1:5])[0]
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        alpha = bool((bits >> 28) & 1)
    elif fourcc == b"VP8 ":
        if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
            raise MetadataEmbedError("bad VP8 header")
        width = struct.unpack("<H", body[6:8])[0] & 0x3FFF
        height = struct.unpack("<H", body[8:10])[0] & 0x3FFF
        alpha = False
    else:
        raise MetadataEmbedError("unknown WebP bitstream")
    flags = 0x10 if alpha else 0
    return bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")


def _embed_webp(data: bytes, packet: bytes) -> bytes:
    chunks = [(fourcc, body) for fourcc, body in _webp_chunks(data) if fourcc != b"XMP "]
    if chunks[0][0] == b"VP8X":
        header = bytearray(chunks[0][1])
        if len(header) < 10:
            raise MetadataEmbedError("bad VP8X chunk")
        rest = chunks[1:]
    else:
        header = bytearray(_vp8x_for(*chunks[0]))
        rest = chunks
    header[0] |= 0x04  # XMP present
    body = b"WEBP" + _webp_chunk(b"VP8X", bytes(header))
    body += b"".join(_webp_chunk(fourcc, chunk) for fourcc, chunk in rest)
    body += _webp_chunk(b"XMP ", packet)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# Reading


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, _MAX_TEXT_CHUNK)
    if inflater.unconsumed_tail:
        raise ValueError("text chunk too large")
    return out


def _png_texts(data: bytes) -> tuple[list[str], list[str]]:
    """(XMP packets, other text comments) of a PNG, before or after the image data."""
    xmp: list[str] = []
    comments: list[str] = []
    for ctype, body, _, _ in _png_chunks(data):
        try:
            if ctype == b"iTXt":
                keyword, rest = body.split(b"\x00", 1)
                compressed, method = rest[0], rest[1]
                _lang, _translated, text = rest[2:].split(b"\x00", 2)
                raw = _inflate(text) if compressed == 1 and method == 0 else text
                target = xmp if keyword == PNG_XMP_KEYWORD else comments
                target.append(raw.decode("utf-8", "replace"))
            elif ctype == b"tEXt":
                _keyword, text = body.split(b"\x00", 1)
                comments.append(text.decode("latin-1"))
            elif ctype == b"zTXt":
                _keyword, rest = body.split(b"\x00", 1)
                comments.append(_inflate(rest[1:]).decode("latin-1"))
        except (ValueError, IndexError, zlib.error):
            continue
    return xmp, comments


def read_embedded(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(metadata, source) with source `xmp` or `png-comment`; (None, None) when there is none."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            xmp, comments = _png_texts(data)
            for packet in xmp:
                if found := parse_packet(packet):
                    return found, "xmp"
            for comment in comments:
                if found := parse_packet(comment):
                    return found, "png-comment"
                if found := _json_comment(comment):
                    return found, "png-comment"
            return None, None
        with Image.open(io.BytesIO(data)) as image:
            embedded = image.info.get("xmp")
        if isinstance(embedded, bytes):
            embedded = embedded.decode("utf-8", "replace")
        if isinstance(embedded, str) and (found := parse_packet(embedded)):
            return found, "xmp"
    except Exception:
        return None, None
    return None, None


def _json_comment(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        return normalize_payload(json.loads(stripped))
    except ValueError:
        return None
