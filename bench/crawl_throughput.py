"""Crawl throughput over loopback, what extraction costs, and where the time goes.

    .venv/bin/python bench/crawl_throughput.py [--items 2000 30000]

For each demo shop size, in one run: building the static site; the page crawl with extraction
and snapshot (pages/s) and extraction's share of its time (goal: at most 15%), against fetching
the same pages with the same fetcher and nothing else (no robots check, no extraction, no
snapshot); extraction alone over the stored pages; the image step; cleaning and the PostgreSQL
upsert. Then the fixture shop (the five platform families of the tests): pages/s, and products
kept per family against the products that state everything. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from fashion_assets.crawl.crawler import CrawlResult, crawl_site, replay_snapshot
from fashion_assets.crawl.demo_site import build_demo_site, serve_demo_shop, serve_folder
from fashion_assets.crawl.fetch import Fetcher, FetchPolicy
from fashion_assets.crawl.images import inspect_image
from fashion_assets.crawl.snapshot import SnapshotWriter, read_snapshot
from fashion_assets.crawl.sources import DEMO_POLICY
from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect, embedded_database_url, stop_embedded
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore, content_key
from fashion_assets_tests.platform_shop import build_platform_shop, write_sitemaps

AS_OF = date(2026, 12, 31)  # every item listed


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


async def _plain_fetch(urls: list[str], kind: str, policy: FetchPolicy) -> int:
    gate = asyncio.Semaphore(16)
    async with Fetcher(policy) as fetcher:

        async def one(u: str) -> int:
            async with gate:
                return len((await fetcher.fetch(u, kind)).body)  # type: ignore[arg-type]

        return sum(await asyncio.gather(*(one(u) for u in urls)))


def _crawl(origin: str, store: LocalObjectStore, policy: FetchPolicy) -> tuple[CrawlResult, bytes]:
    writer = SnapshotWriter({"source": "bench"})
    result = asyncio.run(crawl_site(origin, store, writer, policy=policy))
    return result, writer.data()


def _page_rates(origin: str, store: LocalObjectStore, policy: FetchPolicy):
    (result, snapshot), _ = timed(lambda: _crawl(origin, store, policy))
    snap = read_snapshot(snapshot)
    urls = [p.url for p in snap.pages]
    _, t_plain = timed(lambda: asyncio.run(_plain_fetch(urls, "page", policy)))
    extracted, t_extract = timed(lambda: asyncio.run(replay_snapshot(snap, store)))
    assert len(extracted.records) == len(result.records)
    return result, snap, len(urls) / result.stats["seconds"], len(urls) / t_plain, t_extract


def run(items: int, home: Path) -> None:
    store = LocalObjectStore(home / "objects")
    _, build_cold = timed(lambda: build_demo_site(home, items, 7, AS_OF))
    with serve_demo_shop(home, items, 7, AS_OF) as origin:
        result, snap, crawl_rate, plain_rate, t_extract = _page_rates(origin, store, DEMO_POLICY)
        urls = [r["image_url"] for r in result.images]
        _, t_img_fetch = timed(lambda: asyncio.run(_plain_fetch(urls, "image", DEMO_POLICY)))
    blobs = [
        p.read_bytes()
        for p in sorted((home / "demo_shop" / f"seed7-n{items}" / "images").glob("*.jpg"))[:2000]
    ]
    _, t_inspect = timed(lambda: [inspect_image(b) for b in blobs])
    scratch = LocalObjectStore(home / "scratch")
    _, t_store = timed(lambda: [scratch.put(content_key(b, "JPEG")[0], b) for b in blobs])
    (items_rows, _rejects), t_clean = timed(
        lambda: clean(
            "demo_shop", result.records, {i["image_url"]: i for i in result.images},
            result.failures,
        )
    )  # fmt: skip
    with connect(embedded_database_url(home)) as conn:
        migrate(conn)
        _, t_upsert = timed(lambda: upsert_items(conn, items_rows, AS_OF.isoformat()))
    pages = len(snap.pages)
    per = 1000 / len(blobs)
    print(f"\n== demo shop, {items} items ({pages} pages, {len(urls)} images, "
          f"{len(items_rows)} kept)")  # fmt: skip
    print(f"site build: {build_cold:.1f}s (images drawn)")
    share = result.stats["extraction_share"]
    print(
        f"page crawl with extraction + snapshot: {crawl_rate:.0f} pages/s, extraction "
        f"{share:.1%} of its time (goal <= 15%); the same pages fetched only: "
        f"{plain_rate:.0f} pages/s (crawl / fetch-only {crawl_rate / plain_rate:.2f})"
    )
    print(f"extraction alone (replayed snapshot): {pages / t_extract:.0f} pages/s, "
          f"{t_extract / pages * 1000:.3f} ms/page")  # fmt: skip
    print(
        f"images: plain fetch {len(urls) / t_img_fetch:.0f} images/s; decode+hash "
        f"{t_inspect * per:.2f} ms/image; store {t_store * per:.2f} ms/image"
    )
    print(f"clean: {len(result.records) / t_clean:.0f} records/s; upsert: "
          f"{len(items_rows) / t_upsert:.0f} rows/s")  # fmt: skip


def fixture_shop(home: Path) -> None:
    root = home / "shop"
    root.mkdir(parents=True)
    expected = build_platform_shop(root)
    store = LocalObjectStore(home / "objects")
    policy = FetchPolicy(per_host_rps=0, per_host_concurrency=8)
    with serve_folder(root) as origin:
        write_sitemaps(root, origin)
        result, snap, crawl_rate, plain_rate, t_extract = _page_rates(origin, store, policy)
    items, _ = clean(
        "fixture", result.records, {i["image_url"]: i for i in result.images}, result.failures
    )
    kept = {i["sku"]: (i["category"], i["color"], i["gender"], i["season"]) for i in items}
    should = Counter(e.family for e in expected if e.values)
    right = Counter(e.family for e in expected if e.values and kept.get(e.sku) == e.values)
    print(f"\n== fixture shop ({len(snap.pages)} pages, five platform families)")
    print(f"page crawl with extraction + snapshot: {crawl_rate:.0f} pages/s; fetched only: "
          f"{plain_rate:.0f} pages/s; extraction alone "
          f"{t_extract / len(snap.pages) * 1000:.3f} ms/page")  # fmt: skip
    for family in should:
        print(f"  {family:>12}: {right[family]} of {should[family]} products kept with the "
              "right category, colour, gender and season")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, nargs="+", default=[2000, 30000])
    args = parser.parse_args()
    for n in args.items:
        home = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
        try:
            run(n, home)
        finally:
            stop_embedded(home)
            shutil.rmtree(home, ignore_errors=True)
    home = Path(tempfile.mkdtemp(prefix="bench-fixture-"))
    try:
        fixture_shop(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
