"""Schema migrations and idempotent writes on the embedded PostgreSQL."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from fashion_assets.db.items import replace_rejects, upsert_items
from fashion_assets.db.schema import MIGRATIONS, migrate
from fashion_assets.db.server import (
    DatabaseUnavailable,
    connect,
    embedded_database_url,
    redact,
    stop_embedded,
)


def _row(i: int, color: str = "Blue") -> dict:
    return {
        "item_id": f"s:{i}",
        "source": "s",
        "sku": str(i),
        "url": f"http://x/{i}",
        "title": f"item {i}",
        "category": "04bottom_01pants",
        "category_specification": "bottom",
        "gender": "male",
        "season": "winter",
        "color": color,
        "fiber_composition": ["Cotton"],
        "specs": {"pant.silhouette": "wide"},
        "reinforced": {"color": "네이비"},
        "image_url": "http://x/i.jpg",
        "image_key": "images/aa/a.jpg",
        "image_sha256": "a" * 64,
        "image_width": 10,
        "image_height": 10,
        "image_phash": "0" * 16,
        "content_hash": f"{i}-{color}",
    }


def test_migrations_are_applied_once_even_when_processes_race(database_url):
    def run() -> int:
        with connect(database_url) as conn:
            return migrate(conn)

    with ThreadPoolExecutor(4) as pool:
        versions = list(pool.map(lambda _: run(), range(4)))
    assert versions == [MIGRATIONS[-1][0]] * 4
    with connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            MIGRATIONS
        )


def test_upsert_is_idempotent_and_tracks_changes(database_url):
    with connect(database_url) as conn:
        migrate(conn)
        first = upsert_items(conn, [_row(1), _row(2)], "2026-11-01")
        assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
        again = upsert_items(conn, [_row(1), _row(2)], "2026-11-01")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
        later = upsert_items(conn, [_row(1, "Red"), _row(3)], "2026-11-02")
        assert (later.inserted, later.updated, later.unchanged) == (1, 1, 0)
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT item_id, color, first_seen_partition, last_seen_partition, specs FROM items"
            ).fetchall()
        }
        assert rows["s:1"] == ("Red", "2026-11-01", "2026-11-02", {"pant.silhouette": "wide"})
        assert rows["s:2"][1:3] == ("2026-11-01", "2026-11-01")
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 3


def test_rejects_are_replaced_per_partition(database_url):
    rejects = [
        {"url": "u1", "reason": "duplicate", "source": "s", "item_id": "s:1", "detail": "same sku"},
        {"url": "u1", "reason": "duplicate", "source": "s", "item_id": "s:1", "detail": "same sku"},
        {"url": "u2", "reason": "timeout", "source": "s", "item_id": None, "detail": "x"},
    ]
    with connect(database_url) as conn:
        migrate(conn)
        assert replace_rejects(conn, rejects, "2026-11-01") == 2
        assert replace_rejects(conn, rejects, "2026-11-01") == 2
        assert replace_rejects(conn, rejects[2:], "2026-11-02") == 1
        counts = dict(
            conn.execute("SELECT partition, count(*) FROM rejected_items GROUP BY 1").fetchall()
        )
        assert counts == {"2026-11-01": 2, "2026-11-02": 1}


def _url_in_child(home: str) -> str:
    url = embedded_database_url(Path(home))
    with connect(url) as conn:
        conn.execute("SELECT 1")
    return url


def test_processes_starting_together_share_one_embedded_server(tmp_path):
    home = tmp_path / "shared_home"
    home.mkdir()
    try:
        with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("spawn")) as pool:
            urls = list(pool.map(_url_in_child, [str(home)] * 3))
        assert len(set(urls)) == 1
        with connect(urls[0]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        stop_embedded(home)


def test_unreachable_database_says_what_to_set():
    url = "postgresql://fashion:s3cret@127.0.0.1:9/fashion"
    with pytest.raises(DatabaseUnavailable, match="DATABASE_URL") as info:
        connect(url)
    assert "s3cret" not in str(info.value)
    assert redact(url) == "postgresql://fashion:***@127.0.0.1:9/fashion"
    assert redact("postgresql://postgres:@/db?host=/s") == "postgresql://postgres:@/db?host=/s"
