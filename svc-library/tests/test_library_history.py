"""ListHistory: order, cursor pagination, filters, totals."""

from __future__ import annotations

import asyncio

from library_testkit import Library, image_bytes

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database
from ima2_library.history import history_sql
from ima2_library.history.history_common import HistoryQuery, HistoryRecord
from ima2_library.history.history_store import HistorySqlStore
from ima2_proto.v1 import library_pb2


async def fill(library: Library) -> list[tuple[int, str]]:
    """12 images: three share createdAt 2000, sessions alternate, one request id repeats."""
    small = image_bytes("PNG", (8, 8))
    saved = []
    for i, created in enumerate([1000, 2000, 2000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]):
        item = await library.save(
            small,
            metadata={
                "createdAt": created,
                "sessionId": "s_a" if i % 2 == 0 else "s_b",
                "requestId": "req-x" if i in (3, 7) else f"req-{i}",
            },
            index=i,
        )
        saved.append((item.created_at, item.filename))
    return sorted(saved, reverse=True)


async def test_order_and_total(library: Library) -> None:
    expected = await fill(library)
    page = await library.history()
    assert [(i.created_at, i.filename) for i in page.items] == expected
    assert page.total == 12
    assert not page.HasField("next_cursor")


async def test_cursor_pages_across_equal_created_at(library: Library) -> None:
    expected = await fill(library)
    seen: list[tuple[int, str]] = []
    cursor = None
    pages = 0
    while True:
        kwargs = {"limit": 2}
        if cursor is not None:
            kwargs |= {"before": cursor.before, "before_filename": cursor.before_filename}
        page = await library.history(**kwargs)
        pages += 1
        assert page.total == 12
        seen += [(i.created_at, i.filename) for i in page.items]
        if not page.HasField("next_cursor"):
            break
        cursor = page.next_cursor
        assert (cursor.before, cursor.before_filename) == seen[-1]
    assert seen == expected
    assert pages == 6  # the last full page has no cursor: no more rows


async def test_before_without_filename_excludes_equal(library: Library) -> None:
    await fill(library)
    page = await library.history(before=2000)
    assert [i.created_at for i in page.items] == [1000]
    page = await library.history(before=3000)
    assert [i.created_at for i in page.items] == [2000, 2000, 2000, 1000]


async def test_filters(library: Library) -> None:
    expected = await fill(library)
    page = await library.history(session_id="s_a")
    assert page.total == 6 and all(i.metadata["sessionId"] == "s_a" for i in page.items)
    page = await library.history(request_id="req-x")
    assert page.total == 2 and {i.metadata["requestId"] for i in page.items} == {"req-x"}
    page = await library.history(since=8000)
    assert [i.created_at for i in page.items] == [10000, 9000]
    assert page.total == 2
    page = await library.history(session_id="s_b", limit=1)
    assert page.total == 6 and len(page.items) == 1 and page.HasField("next_cursor")
    page = await library.history(session_id="nobody")
    assert page.total == 0 and not page.items
    page = await library.history(since=1000, before=3000, before_filename="")
    assert [i.created_at for i in page.items] == [2000, 2000, 2000]
    assert len(expected) == 12


async def test_limit_default_and_cap(library: Library) -> None:
    records = [
        HistoryRecord(
            filename=f"{1_700_000_000_000 + i}_00000000_0.png",
            created_at=1_700_000_000_000 + i,
            media_type="image",
            mime="image/png",
            size_bytes=1,
        )
        for i in range(600)
    ]
    await library.running.history.upsert_many(records)
    assert len((await library.history()).items) == limits.HISTORY_DEFAULT_PAGE
    assert len((await library.history(limit=-5)).items) == limits.HISTORY_DEFAULT_PAGE
    page = await library.history(limit=10_000)
    assert len(page.items) == limits.HISTORY_MAX_PAGE and page.total == 600


async def test_items_skip_thumbnails_and_sidecars(library: Library) -> None:
    item = await library.save()
    page = await library.history()
    assert [i.filename for i in page.items] == [item.filename]
    assert page.items[0].thumb.endswith(".thumb.jpg")
    assert page.items[0].url == f"/generated/{item.filename}"


async def test_concurrent_saves_get_distinct_names(library: Library) -> None:
    small = image_bytes("PNG", (8, 8))
    items = await asyncio.gather(*(library.save(small, metadata={"createdAt": 5000}) for _ in range(24)))
    names = {item.filename for item in items}
    assert len(names) == 24
    page = await library.history(limit=100)
    assert page.total == 24 and {i.filename for i in page.items} == names


async def test_read_of_a_vanished_file_hides_its_row(library: Library) -> None:
    item = await library.save()
    (library.generated / item.filename).unlink()
    try:
        await library.client.call("ReadMedia", library_pb2.ReadMediaRequest(filename=item.filename))
    except Ima2Error as err:
        assert err.code == "ASSET_NOT_FOUND"
    else:
        raise AssertionError("ReadMedia served a deleted file")
    assert (await library.history()).total == 0


async def test_one_winner_for_a_contested_caller_name(library: Library) -> None:
    results = await asyncio.gather(
        *(library.save(kind="node", filename="n_abcdefabcd") for _ in range(5)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, Ima2Error)]
    assert len(winners) == 1 and len(losers) == 4
    assert {err.code for err in losers} == {"ASSET_EXISTS"}


async def test_search_pages_common_and_rare_words_alike(database: Database) -> None:
    """Above WIDE_MATCHES hits SQLite pages by the listing index; below, from the matches."""
    store = HistorySqlStore(database)
    n = history_sql.WIDE_MATCHES + 150
    records = [
        HistoryRecord(
            filename=f"{1000 + i:06d}_{i:04x}_0.png",
            created_at=1000 + i // 2,
            media_type="image",
            mime="image/png",
            size_bytes=1,
            metadata={"prompt": f"common harbour {'rareword' if i % 500 == 7 else ''} number {i}"},
            status="missing" if i % 1000 == 3 else "ok",
        )
        for i in range(n)
    ]
    await store.upsert_many(records)
    visible = sorted(((r.created_at, r.filename) for r in records if r.status == "ok"), reverse=True)
    common = await store.list(HistoryQuery(limit=40, q="harb"))
    assert common.total == len(visible)
    assert [(i.created_at, i.filename) for i in common.items] == visible[:40]
    assert common.next_cursor is not None
    after = await store.list(
        HistoryQuery(
            limit=40,
            q="harb",
            before=common.next_cursor.before,
            before_filename=common.next_cursor.before_filename,
        )
    )
    assert [(i.created_at, i.filename) for i in after.items] == visible[40:80]
    rare = await store.list(HistoryQuery(limit=40, q="rareword common"))
    expected = sorted(
        ((r.created_at, r.filename) for i, r in enumerate(records) if i % 500 == 7 and r.status == "ok"),
        reverse=True,
    )
    assert rare.total == len(expected) and [(i.created_at, i.filename) for i in rare.items] == expected
    # A row hidden (status missing) leaves the matches; shown again, it is back.
    hidden = visible[0][1]
    await store.set_status([hidden], "missing")
    assert (await store.list(HistoryQuery(limit=5, q="harb"))).total == len(visible) - 1
    await store.set_status([hidden], "ok")
    assert (await store.list(HistoryQuery(limit=5, q="harb"))).items[0].filename == hidden
