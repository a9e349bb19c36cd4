"""Real shops' markup, end to end: the fixture shop's five platform families crawled over
loopback, cleaned, and every product accounted for; snapshots and backfills; one politeness
budget per host across concurrent runs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from fashion_assets.crawl.crawler import crawl_site
from fashion_assets.crawl.demo_site import serve_folder
from fashion_assets.crawl.fetch import FetchPolicy
from fashion_assets.crawl.snapshot import SnapshotWriter, read_snapshot, snapshot_key
from fashion_assets.crawl.sources import (
    NoSnapshotError,
    SourceConfigError,
    SourceSpec,
    plan_crawl,
    run_source,
)
from fashion_assets.db.host_schedule import PostgresHostSchedule
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore
from fashion_assets_tests.platform_shop import FAMILIES, build_platform_shop, write_sitemaps

FAST = FetchPolicy(per_host_rps=0, per_host_concurrency=8, timeout_s=5)
DAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The fixture shop, served; yields (origin, root, expectations)."""
    root = tmp_path_factory.mktemp("platform_shop")
    expected = build_platform_shop(root)
    with serve_folder(root) as origin:
        write_sitemaps(root, origin)
        yield origin, root, expected


def _crawl(origin: str, home: Path, day: date = DAY, today: date = DAY, **spec):
    spec = SourceSpec(source="web", start_url=origin + "/", policy=FAST, **spec)
    store = LocalObjectStore(home / "objects")
    out = run_source(spec, day, home, store, today=today)
    items, rejects = clean(
        spec.name,
        out.result.records,
        {i["image_url"]: i for i in out.result.images},
        out.result.failures,
    )
    return out, items, rejects, store


@pytest.fixture(scope="module")
def crawled(shop, tmp_path_factory):
    origin, _, expected = shop
    home = tmp_path_factory.mktemp("platform_home")
    out, items, rejects, store = _crawl(origin, home)
    return expected, out, items, rejects, store, home


def _path(url: str) -> str:
    return unquote(urlsplit(url).path)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_product_that_states_everything_is_kept_with_its_values(crawled, family):
    expected, _, items, _, store, _ = crawled
    kept = {i["sku"]: i for i in items}
    wanted = [e for e in expected if e.family == family and e.values]
    assert wanted, family
    for e in wanted:
        item = kept.get(e.sku)
        assert item is not None, f"{family}: {e.sku} ({e.path}) was lost"
        assert (item["category"], item["color"], item["gender"], item["season"]) == e.values
        assert _path(item["url"]) == e.path
        assert store.exists(item["image_key"])


@pytest.mark.parametrize("family", FAMILIES)
def test_what_cannot_be_kept_is_rejected_with_its_reason(crawled, family):
    expected, _, items, rejects, _, _ = crawled
    by_path: dict[str, list[str]] = {}
    for r in rejects:
        by_path.setdefault(_path(r["url"]), []).append(r["reason"])
    for e in (e for e in expected if e.family == family and e.reason):
        assert by_path.get(e.path) == [e.reason], (e, by_path.get(e.path))
    kept_paths = {_path(i["url"]) for i in items}
    assert not {e.path for e in expected if e.reason} & kept_paths


def test_nothing_else_was_kept_and_every_page_was_read(crawled):
    expected, out, items, rejects, _, _ = crawled
    assert {i["sku"] for i in items} == {e.sku for e in expected if e.values}
    assert out.result.failures == []
    assert {r["reason"] for r in rejects} <= {"unknown_category", "invalid_value", "missing_field"}


def test_provenance_says_where_each_value_came_from(crawled):
    _, _, items, _, _, _ = crawled
    kept = {i["sku"]: i["provenance"] for i in items}
    # Cafe24: no structured product at all; the menu says only "OUTER"
    assert kept["P0000BAB"] == {
        "sku": "table", "name": "opengraph", "image_url": "opengraph", "price": "opengraph",
        "currency": "opengraph", "category": "title", "color": "table", "gender": "title",
        "season": "table", "fiber_composition": "table", "age_group": "default",
    }  # fmt: skip
    # Magento: microdata identity, OpenGraph image, breadcrumb category, table attributes
    assert kept["WJ12"]["sku"] == "microdata" and kept["WJ12"]["image_url"] == "opengraph"
    assert (kept["WJ12"]["category"], kept["WJ12"]["color"]) == ("breadcrumb", "table")
    # headless: the variant's colour, the group's audience and additionalProperty
    assert {kept["KP-01-black"][f] for f in ("color", "gender", "season")} == {"jsonld"}
    # Shopify: the taxonomy path names two garments, the title names one
    assert kept["7701-camel"]["category"] == "title"
    assert kept["NF-BT-01"]["category"] == "jsonld"


def test_a_theme_block_and_an_app_block_give_one_product(crawled):
    _, out, _, _, _, _ = crawled
    skus = Counter(r["sku"] for r in out.result.records if r["url"].endswith("/wool-overcoat/"))
    assert skus == {"7701-charcoal": 1, "7701-camel": 1}


def test_rfc_9309_longest_match_lets_products_through_and_keeps_the_rest_out(crawled):
    _, out, _, _, _, _ = crawled
    assert out.result.stats["pages"] == len({e.path for e in crawled[0]})
    assert all(r["status"] == "ok" for r in out.result.images)


def test_a_past_partition_is_re_extracted_from_its_snapshot_without_the_site(tmp_path):
    root = tmp_path / "shop"
    root.mkdir()
    build_platform_shop(root)
    with serve_folder(root) as origin:
        write_sitemaps(root, origin)
        out, items, _, store = _crawl(origin, tmp_path, DAY, DAY)
    assert out.mode == "live"
    assert out.snapshot == snapshot_key(urlsplit(origin).netloc, "2026-11-20")
    assert len(read_snapshot(store.get(out.snapshot)).pages) == out.result.stats["pages"]
    # a week later, with the shop gone: the same products, read from the pages of that day
    spec = SourceSpec(source="web", start_url=origin + "/", policy=FAST)
    later = date(2026, 11, 27)
    again = run_source(spec, DAY, tmp_path, store, today=later)
    assert again.mode == "snapshot" and not again.result.failures
    assert [r["sku"] for r in again.result.records] == [r["sku"] for r in out.result.records]
    assert again.result.images == out.result.images
    # an extraction fix (here: the site's field map naming Luma's "Climate") is backfilled
    backfilled = run_source(replace(spec, field_map={"Climate": "season"}), DAY, tmp_path,
                            store, today=later)  # fmt: skip
    items_after, _ = clean(
        spec.name, backfilled.result.records,
        {i["image_url"]: i for i in backfilled.result.images}, backfilled.result.failures,
    )  # fmt: skip
    assert {i["sku"] for i in items_after} - {i["sku"] for i in items} == {"WP05"}
    # a past date never crawled is refused with a message, not crawled from today's site
    with pytest.raises(NoSnapshotError, match=r"2026-11-19 of .* was never crawled"):
        run_source(spec, date(2026, 11, 19), tmp_path, store, today=later)


def test_the_crawl_plan_for_each_source_date_and_mode():
    web = SourceSpec(source="web", start_url="https://shop.example/")
    demo = SourceSpec()
    today, past = date(2026, 11, 24), date(2026, 11, 20)
    assert plan_crawl(web, today, today, has_snapshot=True) == "live"
    assert plan_crawl(web, past, today, has_snapshot=True) == "snapshot"
    assert plan_crawl(web, today, today, has_snapshot=True, mode="snapshot") == "snapshot"
    assert plan_crawl(demo, past, today, has_snapshot=False) == "live"  # it can show any date
    with pytest.raises(NoSnapshotError, match="never crawled"):
        plan_crawl(web, past, today, has_snapshot=False)
    with pytest.raises(SourceConfigError, match="in the past"):
        plan_crawl(web, past, today, has_snapshot=True, mode="live")
    with pytest.raises(NoSnapshotError, match="no snapshot"):
        plan_crawl(web, today, today, has_snapshot=False, mode="snapshot")


def test_concurrent_runs_share_one_request_schedule_per_host(shop, database_url, tmp_path):
    """Two runs crawling one host at 10 requests/s together take as long as one run doing all
    their requests; with a schedule each, they would finish in about half the time."""
    origin, _, _ = shop
    with connect(database_url) as conn:
        migrate(conn)
    policy = FetchPolicy(per_host_rps=10, per_host_concurrency=4, timeout_s=5)
    counts: list[int] = []

    def run(k: int) -> None:
        class Counting(PostgresHostSchedule):
            n = 0

            async def reserve(self, host: str, interval: float) -> float:
                Counting.n += 1
                return await super().reserve(host, interval)

        schedule = Counting(database_url)
        store = LocalObjectStore(tmp_path / f"objects{k}")

        async def go():
            try:
                await crawl_site(origin + "/", store, SnapshotWriter({}), policy=policy,
                                 schedule=schedule, max_pages=6)  # fmt: skip
            finally:
                await schedule.aclose()

        asyncio.run(go())
        counts.append(Counting.n)

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    requests = sum(counts)
    assert requests >= 2 * 10  # robots, sitemaps, 6 pages and their images, per run
    assert elapsed >= (requests - 1) * 0.1
    with connect(database_url) as conn:
        (host,) = conn.execute("SELECT host FROM crawl_host_schedule").fetchone()
    assert host == urlsplit(origin).netloc
