"""Crawl a site through its sitemap, keep its pages, read their products, fetch their images.

Every page and image goes through one polite fetcher (robots.txt, per-host schedule, retries).
Every page that yields no product is recorded in `failures` with a reason from
`PAGE_FAILURES`; the crawl itself never stops on a bad page. The fetched pages go into a
snapshot as they arrive; `replay_snapshot` runs the same extraction over a stored one.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fashion_assets.crawl.fetch import FETCH_ERRORS, Fetcher, FetchPolicy, HostSchedule
from fashion_assets.crawl.field_map import FieldMap
from fashion_assets.crawl.images import fetch_images
from fashion_assets.crawl.products import extract_products
from fashion_assets.crawl.robots import Robots
from fashion_assets.crawl.sitemap import parse_sitemap
from fashion_assets.crawl.snapshot import Page, Snapshot, SnapshotWriter
from fashion_assets.storage import ObjectStore

#: Reasons of pages that were fetched but yield no product (recomputed when replayed).
EXTRACTION_FAILURES = ("no_product_markup", "broken_jsonld")
PAGE_FAILURES = (*FETCH_ERRORS, *EXTRACTION_FAILURES, "broken_sitemap", "malformed_row")
MAX_SITEMAPS = 1000
Progress = Callable[[str, int, int], None]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


@dataclass
class CrawlResult:
    """Products found, pages that failed (with reasons), images and counters."""

    records: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    extract_s: float = 0.0

    def fail(self, url: str, reason: str, detail: str) -> None:
        assert reason in PAGE_FAILURES, reason
        self.failures.append({"url": url, "reason": reason, "detail": detail[:500]})

    def fail_row(self, where: str, detail: str) -> None:
        """Record a catalog row that could not be read."""
        self.fail(where, "malformed_row", detail)

    def count(self, pages: int, started: float) -> None:
        """Fill in the counters of a finished crawl of `pages` pages."""
        elapsed = time.perf_counter() - started
        self.stats.update(
            pages=pages,
            products=len(self.records),
            failed_pages=len(self.failures),
            failures_by_reason=dict(Counter(f["reason"] for f in self.failures)),
            seconds=round(elapsed, 3),
            pages_per_s=round(pages / elapsed, 1) if elapsed > 0 else None,
            extraction_share=round(self.extract_s / elapsed, 3) if elapsed > 0 else None,
        )


def decode_html(body: bytes, content_type_header: str = "") -> str:
    """Decode a page: the header's charset, else UTF-8, else the <meta> charset, else CP949
    (Korean legacy pages; bytes that decode as UTF-8 are read as UTF-8 whatever <meta> says)."""
    declared = re.search(r"charset=([\w-]+)", content_type_header)

    def encodings() -> Iterator[str]:
        if declared:
            yield declared.group(1)
        yield "utf-8"
        meta = _META_CHARSET.search(body[:4096])
        if meta:
            yield meta.group(1).decode()
        yield "cp949"

    for encoding in encodings():
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


def extract_page(page: Page, fmap: FieldMap, result: CrawlResult) -> None:
    """Read a fetched page's products into `result`, or record why there are none."""
    started = time.perf_counter()
    found = extract_products(decode_html(page.body, page.content_type), page.final_url, fmap)
    result.extract_s += time.perf_counter() - started
    if found.records:
        result.records.extend(found.records)
    elif found.errors:
        result.fail(page.url, "broken_jsonld", "; ".join(found.errors))
    else:
        result.fail(page.url, "no_product_markup", "the page states no product in any syntax")


async def _sitemap_pages(
    fetcher: Fetcher, robots: Robots, start_url: str, result: CrawlResult
) -> list[str]:
    parts = urlsplit(start_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    await robots.load(start_url)
    queue = robots.sitemaps.get(origin) or [origin + "/sitemap.xml"]
    seen_maps: set[str] = set()
    pages: dict[str, None] = {}
    while queue and len(seen_maps) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen_maps:
            continue
        seen_maps.add(url)
        got = await fetcher.fetch(url, "xml")
        if not got.ok:
            result.fail(url, "broken_sitemap", f"{got.error}: {got.detail}")
            continue
        try:
            entries, children = parse_sitemap(got.body)
        except ValueError as exc:
            result.fail(url, "broken_sitemap", str(exc))
            continue
        queue.extend(children)
        for entry in entries:
            pages.setdefault(entry.loc, None)
    result.stats["sitemaps"] = len(seen_maps)
    return list(pages)


async def _images(
    result: CrawlResult,
    store: ObjectStore,
    fetcher: Fetcher,
    robots: Robots,
    known: dict[str, dict[str, Any]],
    progress: Progress | None,
) -> None:
    urls = [r["image_url"] for r in result.records if r.get("image_url")]
    missing = [u for u in dict.fromkeys(urls) if u not in known]
    stage = (lambda d, t: progress("images", d, t)) if progress else None
    fetched = await fetch_images(missing, store, fetcher, robots, progress=stage)
    rows = {**known, **{r["image_url"]: r for r in fetched}}
    result.images = [rows[u] for u in dict.fromkeys(urls)]


async def crawl_site(
    start_url: str,
    store: ObjectStore,
    snapshot: SnapshotWriter,
    *,
    policy: FetchPolicy | None = None,
    schedule: HostSchedule | None = None,
    field_map: FieldMap | None = None,
    product_url_pattern: str | None = None,
    max_pages: int | None = None,
    concurrency: int = 16,
    progress: Progress | None = None,
) -> CrawlResult:
    """Crawl the site at `start_url`: robots.txt, sitemap(s), every product page, then the
    images of the products found; every fetched page is kept in `snapshot`."""
    fmap = field_map or FieldMap.build()
    result = CrawlResult()
    started = time.perf_counter()
    pattern = re.compile(product_url_pattern) if product_url_pattern else None
    async with Fetcher(policy, schedule) as fetcher:
        robots = Robots(fetcher)
        pages = await _sitemap_pages(fetcher, robots, start_url, result)
        if pattern:
            pages = [p for p in pages if pattern.search(p)]
        if max_pages is not None:
            pages = pages[:max_pages]
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def visit(url: str) -> None:
            nonlocal done
            async with gate:
                await _visit(fetcher, robots, url, fmap, result, snapshot)
            done += 1
            if progress:
                progress("pages", done, len(pages))

        await asyncio.gather(*(visit(p) for p in pages))
        for failure in result.failures:
            if failure["reason"] not in EXTRACTION_FAILURES:
                snapshot.failure(failure)
        result.count(len(pages), started)
        await _images(result, store, fetcher, robots, {}, progress)
    for row in result.images:
        snapshot.image(row)
    return result


async def _visit(
    fetcher: Fetcher,
    robots: Robots,
    url: str,
    fmap: FieldMap,
    result: CrawlResult,
    snapshot: SnapshotWriter,
) -> None:
    if not await robots.allowed(url):
        result.fail(url, "robots_disallowed", "robots.txt disallows this URL for our User-Agent")
        return
    got = await fetcher.fetch(url, "page")
    if not got.ok:
        result.fail(url, got.error or "http_error", got.detail)
        return
    page = Page(url, got.final_url, got.status, got.content_type, got.body)
    snapshot.page(page)
    extract_page(page, fmap, result)


async def replay_snapshot(
    snap: Snapshot,
    store: ObjectStore,
    *,
    policy: FetchPolicy | None = None,
    schedule: HostSchedule | None = None,
    field_map: FieldMap | None = None,
    progress: Progress | None = None,
) -> CrawlResult:
    """Extract a stored crawl again with today's extraction.

    Page failures of the day are carried over; images the snapshot holds are reused, and only
    images of products the old extraction missed are fetched (politely) now.
    """
    fmap = field_map or FieldMap.build()
    result = CrawlResult(failures=[dict(f) for f in snap.failures])
    started = time.perf_counter()
    for i, page in enumerate(snap.pages, start=1):
        extract_page(page, fmap, result)
        if progress and (i % 100 == 0 or i == len(snap.pages)):
            progress("pages", i, len(snap.pages))
    result.count(len(snap.pages) + len(snap.failures), started)
    async with Fetcher(policy, schedule) as fetcher:
        await _images(result, store, fetcher, Robots(fetcher), snap.images, progress)
    return result
