"""Unit tests of the pieces: XMP, thumbnails, naming, migrations, the SQLite store."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import zlib
from pathlib import Path

import pytest
from library_testkit import image_bytes, scalar
from PIL import Image, PngImagePlugin

from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database
from ima2_library.db.migrations import LATEST_VERSION, SchemaTooNewError, migrate_sqlite
from ima2_library.db.postgres_database import PostgresDatabase
from ima2_library.db.sqlite_database import SqliteDatabase
from ima2_library.history.history_common import HistoryQuery, HistoryRecord, MediaStatus
from ima2_library.history.history_store import HistorySqlStore
from ima2_library.media import naming, xmp
from ima2_library.media.thumbnails import ThumbnailError, render_thumbnail, thumb_name
from ima2_library.storage import dir_label

# XMP


def test_payload_caps_and_whitelist() -> None:
    payload = xmp.build_payload(
        {
            "prompt": "p" * 5000,
            "model": "m" * 500,
            "usage": {"x": 1},
            "refsCount": 3.0,
            "promptMode": "direct",
        },
        "1.0",
    )
    assert len(payload["prompt"]) == 4000 and len(payload["userPrompt"]) == 4000
    assert len(payload["model"]) == 240
    assert payload["refsCount"] == 3 and isinstance(payload["refsCount"], int)
    assert payload["promptMode"] == "direct" and "usage" not in payload
    assert (
        payload["schema"] == "ima2.generation.v1"
        and payload["app"] == "ima2-gen"
        and payload["version"] == "1.0"
    )


def test_packet_round_trip_with_escaping() -> None:
    meta = {"prompt": 'x & y < z > "q" \' é\n', "sessionId": "s"}
    packet = xmp.packet_for(xmp.build_payload(meta))
    assert (
        b"ima2:GenerationMetadata=" in packet and b"https://github.com/lidge-jun/ima2-gen/ns/1.0/" in packet
    )
    parsed = xmp.parse_packet(packet.decode())
    assert parsed is not None and parsed["prompt"] == meta["prompt"]


def test_foreign_payloads_are_ignored() -> None:
    for schema, app in (("other", "ima2-gen"), ("ima2.generation.v1", "other")):
        text = json.dumps({"schema": schema, "app": app, "prompt": "x"}).replace('"', "&quot;")
        assert (
            xmp.parse_packet(f'<r xmlns:ima2="{xmp.IMA2_XMP_NAMESPACE}" ima2:GenerationMetadata="{text}"/>')
            is None
        )
    assert xmp.parse_packet("<x:xmpmeta/>") is None
    assert xmp.parse_packet('ima2:GenerationMetadata="not json"') is None


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_embed_is_idempotent_and_replaces(fmt: str, mime: str) -> None:
    first = xmp.embed(image_bytes(fmt, (32, 32)), mime, {"prompt": "one"})
    second = xmp.embed(first, mime, {"prompt": "two"})
    found, _ = xmp.read_embedded(second)
    assert found is not None and found["prompt"] == "two"
    assert second.count(b"GenerationMetadata") == 1


def test_jpeg_keeps_jfif_first() -> None:
    data = xmp.embed(image_bytes("JPEG", (16, 16)), "image/jpeg", {"prompt": "p"})
    assert data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00"


def test_jpeg_shrinks_huge_prompts_to_fit_one_segment() -> None:
    huge = '"&' * 2000  # 12 bytes per 2 characters once JSON- and XML-escaped
    data = xmp.embed(image_bytes("JPEG", (16, 16)), "image/jpeg", {"prompt": huge, "revisedPrompt": huge})
    found, _ = xmp.read_embedded(data)
    assert found is not None and huge.startswith(found["prompt"]) and len(found["prompt"]) < 4000


def test_webp_lossless_alpha_gets_vp8x_with_flags() -> None:
    source = image_bytes("WEBP", (20, 10), "RGBA")
    data = xmp.embed(source, "image/webp", {"prompt": "p"})
    assert data[12:16] == b"VP8X"
    flags = data[20]
    assert flags & 0x04 and flags & 0x10
    assert int.from_bytes(data[24:27], "little") + 1 == 20 and int.from_bytes(data[27:30], "little") + 1 == 10
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (20, 10) and image.mode == "RGBA"


def test_png_comment_is_read_when_no_xmp() -> None:
    info = PngImagePlugin.PngInfo()
    packet = xmp.packet_for(xmp.build_payload({"prompt": "from comment"})).decode()
    info.add_text("Comment", packet, zip=True)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    found, source = xmp.read_embedded(out.getvalue())
    assert source == "png-comment" and found is not None and found["prompt"] == "from comment"


def test_xmp_after_idat_is_found() -> None:
    data = image_bytes("PNG", (4, 4))
    body = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp.packet_for(xmp.build_payload({"prompt": "late"}))
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    late = data[:-12] + chunk + data[-12:]
    found, source = xmp.read_embedded(late)
    assert source == "xmp" and found is not None and found["prompt"] == "late"


def test_embed_refuses_garbage() -> None:
    for mime in ("image/png", "image/jpeg", "image/webp", "video/mp4"):
        with pytest.raises(xmp.MetadataEmbedError):
            xmp.embed(b"garbage" * 10, mime, {"prompt": "p"})
    assert xmp.read_embedded(b"garbage") == (None, None)


# Thumbnails


def test_thumbnail_names() -> None:
    assert thumb_name("a.png") == "a.thumb.jpg"
    assert thumb_name("a.b.JPEG") == "a.b.thumb.jpg"
    assert thumb_name("clip.mp4") == "clip.mp4.thumb.jpg"


def test_thumbnail_honours_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    out = io.BytesIO()
    Image.new("RGB", (800, 400), (10, 20, 30)).save(out, "JPEG", exif=exif.tobytes())
    with Image.open(io.BytesIO(render_thumbnail(out.getvalue()))) as thumb:
        assert thumb.size == (320, 640)


def test_thumbnail_refuses_over_100_megapixels() -> None:
    def chunk(ctype: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))

    ihdr = struct.pack(">IIBBBBB", 11_000, 10_000, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ThumbnailError, match="exceeds"):
        render_thumbnail(png)


# Naming


def test_naming_rules() -> None:
    assert naming.normalize_kind("multimode-image") == "multimode"
    assert naming.normalize_kind("") == "classic"
    with pytest.raises(Ima2Error):
        naming.normalize_kind("nope")
    assert naming.source_base("../weird name!.png") == "weird-name"
    assert naming.caller_name("n_0011223344", "image/webp") == "n_0011223344.webp"
    assert naming.infer_kind("1700000000000_deadbeef_2.png") == "classic"
    assert naming.infer_kind("1700000000000_deadbeef.mp4") == "video"
    assert naming.infer_kind("1700000000000_deadbeef.png") == "edit"
    assert naming.infer_kind("1700000000000_deadbeef_multimode_1.webp") == "multimode"
    assert naming.infer_kind("n_0123456789.png") == "node"


def test_dir_label(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert dir_label(tmp_path / ".ima2" / "generated") == "~/.ima2/generated"
    assert dir_label(Path("/srv/media")) == "/srv/media"


# Migrations and the SQLite store


def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    assert migrate_sqlite(conn) == LATEST_VERSION
    assert migrate_sqlite(conn) == LATEST_VERSION
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST_VERSION
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(media)")}
    assert {"media_created_idx", "media_session_idx", "media_request_idx", "media_node_idx"} <= indexes
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "sessions",
        "graph_nodes",
        "graph_edges",
        "favorites",
        "annotations",
        "prompts",
        "media_count",
    } <= tables
    seeded = {row[0] for row in conn.execute("SELECT id FROM prompt_folders")}
    assert seeded == {"__root__", "__trash__"}
    conn.execute("INSERT INTO schema_version VALUES (999, 'future', 0)")
    with pytest.raises(SchemaTooNewError):
        migrate_sqlite(conn)


async def test_database_pragmas(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "b.db")
    await db.start()
    assert await scalar(db, "PRAGMA journal_mode") == "wal"
    assert await scalar(db, "PRAGMA foreign_keys") == 1
    assert await db.schema_version() == LATEST_VERSION
    await db.close()


async def test_postgres_migrations_are_idempotent(database: Database, database_url: str) -> None:
    if database.dialect != "postgres":
        pytest.skip("PostgreSQL only")
    assert await database.schema_version() == LATEST_VERSION
    again = PostgresDatabase(database_url)
    await again.start()  # a second replica starting on a migrated schema applies nothing
    assert await again.schema_version() == LATEST_VERSION
    assert await scalar(again, "SELECT COUNT(*) FROM schema_version") == LATEST_VERSION
    await again.close()


async def test_transactions_roll_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as tx:
            await tx.execute(
                "INSERT INTO favorites (browser_id, filename, created_at) VALUES (?, ?, ?)", ("b", "f", 1)
            )
            raise RuntimeError("boom")
    assert await scalar(database, "SELECT COUNT(*) FROM favorites") == 0


async def test_store_round_trip_and_bulk(database: Database) -> None:
    store = HistorySqlStore(database)
    record = HistoryRecord(
        filename="a.png",
        created_at=5,
        media_type="image",
        mime="image/png",
        size_bytes=10,
        kind="node",
        node_id="n_1",
        session_id="s",
        metadata={"prompt": "π", "nested": {"a": [1, 2]}},
        has_thumb=True,
    )
    await store.upsert(record)
    assert await store.get("a.png") == record
    by_node = await store.get_by_node("n_1")
    assert by_node is not None and by_node.filename == "a.png"
    bulk = [
        HistoryRecord(
            filename=f"{i:05d}.png", created_at=i, media_type="image", mime="image/png", size_bytes=1
        )
        for i in range(2500)
    ]
    assert await store.upsert_many(bulk, batch_size=700) == 2500
    assert await store.count_visible() == 2501
    assert await store.set_status([f"{i:05d}.png" for i in range(1200)], "missing") == 1200
    page = await store.list(HistoryQuery(limit=3))
    assert [r.filename for r in page.items] == ["02499.png", "02498.png", "02497.png"]
    assert page.total == 1301 and page.next_cursor is not None
    assert await store.set_has_thumb(["a.png"], False) == 1
    states = {s.filename: s for s in await store.index_states()}
    assert states["a.png"].has_thumb is False and states["00000.png"].status == "missing"
    assert await store.toggle_favorite("b1", "a.png", 1) is True
    favs = await store.list(HistoryQuery(limit=5, browser_id="b1", favorites_only=True))
    assert [r.filename for r in favs.items] == ["a.png"] and favs.total == 1 and favs.items[0].is_favorite
    assert await store.toggle_favorite("b1", "a.png", 2) is False
    assert (await store.list(HistoryQuery(browser_id="b1", favorites_only=True))).total == 0
    assert await store.delete("a.png") is True and await store.get("a.png") is None


async def test_visible_counter_follows_every_write(database: Database) -> None:
    store = HistorySqlStore(database)

    async def counts() -> tuple[int, int]:
        exact = await scalar(database, "SELECT COUNT(*) FROM media WHERE status = 'ok'")
        return await store.count_visible(), int(exact)

    def rec(name: str, status: MediaStatus = "ok") -> HistoryRecord:
        return HistoryRecord(
            filename=name, created_at=1, media_type="image", mime="image/png", size_bytes=1, status=status
        )

    await store.upsert(rec("a.png"))
    await store.upsert(rec("a.png"))  # replace: still one
    await store.upsert_many([rec(f"{i}.png") for i in range(30)] + [rec("m.png", "missing")], batch_size=7)
    assert await counts() == (31, 31)
    await store.set_status(["1.png", "2.png", "m.png"], "missing")
    await store.upsert(rec("m.png"))  # missing → ok through an upsert
    await store.delete("3.png")
    await store.delete("1.png")  # a missing row: no change to the visible count
    assert await counts() == (29, 29)
    assert (await store.list(HistoryQuery(limit=2))).total == 29
