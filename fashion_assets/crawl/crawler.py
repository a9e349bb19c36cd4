"""Crawl a site through its sitemap and collect schema.org Product records.

Every page that yields no product is recorded in `failures` with a reason from
`PAGE_FAILURES`; the crawl itself never stops on a bad page.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fashion_assets.crawl.fetch import FETCH_ERRORS, Fetcher, FetchPolicy
from fashion_assets.crawl.jsonld import extract_products, map_product
from fashion_assets.crawl.robots import Robots
from fashion_assets.crawl.sitemap import parse_sitemap

PAGE_FAILURES = (
    *FETCH_ERRORS,
    "no_product_jsonld",
    "broken_jsonld",
    "broken_sitemap",
    "malformed_row",
)
MAX_SITEMAPS = 1000


@dataclass
class CrawlResult:
    """Products found, pages that failed (with reasons) and counters."""

    records: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def fail(self, url: str, reason: str, detail: str) -> None:
        assert reason in PAGE_FAILURES, reason
        self.failures.append({"url": url, "reason": reason, "detail": detail[:500]})

    def fail_row(self, where: str, detail: str) -> None:
        """Record a catalog row that could not be read."""
        self.fail(where, "malformed_row", detail)


def decode_html(body: bytes, content_type_header: str = "") -> str:
    """Decode a page: declared charset, else UTF-8, else the Korean legacy encoding (CP949)."""
    match = re.search(r"charset=([\w-]+)", content_type_header)
    for encoding in ([match.group(1)] if match else []) + ["utf-8", "cp949"]:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


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


async def crawl_site(
    start_url: str,
    *,
    policy: FetchPolicy | None = None,
    field_map: Mapping[str, str] | None = None,
    product_url_pattern: str | None = None,
    max_pages: int | None = None,
    concurrency: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> CrawlResult:
    """Crawl the site at `start_url`: robots.txt, sitemap(s), then every product page."""
    result = CrawlResult()
    started = time.perf_counter()
    pattern = re.compile(product_url_pattern) if product_url_pattern else None
    async with Fetcher(policy) as fetcher:
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
                await _visit(fetcher, robots, url, field_map, result)
            done += 1
            if progress:
                progress(done, len(pages))

        await asyncio.gather(*(visit(p) for p in pages))
    elapsed = time.perf_counter() - started
    result.stats.update(
        pages=len(pages),
        products=len(result.records),
        failed_pages=len(result.failures),
        failures_by_reason=dict(Counter(f["reason"] for f in result.failures)),
        seconds=round(elapsed, 3),
        pages_per_s=round(len(pages) / elapsed, 1) if elapsed > 0 else None,
    )
    return result


async def _visit(
    fetcher: Fetcher,
    robots: Robots,
    url: str,
    field_map: Mapping[str, str] | None,
    result: CrawlResult,
) -> None:
    if not await robots.allowed(url):
        result.fail(url, "robots_disallowed", "robots.txt disallows this URL for our User-Agent")
        return
    got = await fetcher.fetch(url, "page")
    if not got.ok:
        result.fail(url, got.error or "http_error", got.detail)
        return
    products, errors = extract_products(decode_html(got.body, got.content_type))
    if not products:
        reason = "broken_jsonld" if errors else "no_product_jsonld"
        result.fail(url, reason, "; ".join(errors) or "no schema.org Product JSON-LD on the page")
        return
    for product in products:
        result.records.append(map_product(product, got.final_url, field_map))
