"""Crawl throughput against the local demo shop, and where the time goes.

    .venv/bin/python bench/crawl_throughput.py [--items 2000 30000]

For each shop size, in one run: building the static site (drawing images, writing pages), the
page crawl (pages/s), the image step (images/s), cleaning and the PostgreSQL upsert; then the
image step split into its parts measured on the same bytes: decode + perceptual hash, and the
object-store write, against the plain HTTP fetch. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from fashion_assets.crawl.crawler import crawl_site
from fashion_assets.crawl.demo_site import build_demo_site, serve_demo_shop
from fashion_assets.crawl.fetch import Fetcher
from fashion_assets.crawl.images import fetch_images, inspect_image
from fashion_assets.crawl.sources import DEMO_POLICY
from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect, embedded_database_url, stop_embedded
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore, content_key

AS_OF = date(2026, 12, 31)  # every item listed


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


async def _plain_fetch(urls: list[str]) -> int:
    gate = asyncio.Semaphore(16)
    async with Fetcher(DEMO_POLICY) as fetcher:

        async def one(u: str) -> int:
            async with gate:
                return len((await fetcher.fetch(u, "image")).body)

        return sum(await asyncio.gather(*(one(u) for u in urls)))


def run(items: int, home: Path) -> None:
    store = LocalObjectStore(home / "objects")
    _, build_cold = timed(lambda: build_demo_site(home, items, 7, AS_OF))
    shutil.rmtree(home / "demo_shop" / f"seed7-n{items}" / "dates")
    _, build_warm = timed(lambda: build_demo_site(home, items, 7, AS_OF))
    with serve_demo_shop(home, items, 7, AS_OF) as origin:
        result, t_pages = timed(lambda: asyncio.run(crawl_site(origin, policy=DEMO_POLICY)))
        urls = [r["image_url"] for r in result.records]
        images, t_images = timed(lambda: asyncio.run(fetch_images(urls, store, DEMO_POLICY)))
        _, t_fetch_only = timed(lambda: asyncio.run(_plain_fetch(urls)))
    blobs = [
        p.read_bytes()
        for p in sorted((home / "demo_shop" / f"seed7-n{items}" / "images").glob("*.jpg"))[:2000]
    ]
    _, t_inspect = timed(lambda: [inspect_image(b) for b in blobs])
    scratch = LocalObjectStore(home / "scratch")
    _, t_store = timed(lambda: [scratch.put(content_key(b, "JPEG")[0], b) for b in blobs])
    (items_rows, _rejects), t_clean = timed(
        lambda: clean(
            "demo_shop", result.records, {i["image_url"]: i for i in images}, result.failures
        )
    )
    with connect(embedded_database_url(home)) as conn:
        migrate(conn)
        _, t_upsert = timed(lambda: upsert_items(conn, items_rows, AS_OF.isoformat()))
    pages, n_img = len(result.records) + len(result.failures), len(images)
    total = t_pages + t_images + t_clean + t_upsert
    per = 1000 / len(blobs)
    print(f"\n== demo shop, {items} items ({pages} pages, {n_img} images, {len(items_rows)} kept)")
    print(f"site build: {build_cold:.1f}s cold (images drawn), {build_warm:.1f}s warm (pages)")
    for name, secs, rate in (
        ("page crawl", t_pages, f"{pages / t_pages:.0f} pages/s"),
        ("image step", t_images, f"{n_img / t_images:.0f} images/s"),
        ("clean", t_clean, f"{len(result.records) / t_clean:.0f} records/s"),
        ("upsert", t_upsert, f"{len(items_rows) / t_upsert:.0f} rows/s"),
    ):
        print(f"{name:>11}: {secs:7.1f}s {secs / total:6.1%}  {rate}")
    print(
        f"image step parts: plain fetch {n_img / t_fetch_only:.0f} images/s; "
        f"decode+hash {t_inspect * per:.2f} ms/image; store {t_store * per:.2f} ms/image; "
        f"image step / plain fetch time = {t_images / t_fetch_only:.2f}"
    )


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


if __name__ == "__main__":
    main()
