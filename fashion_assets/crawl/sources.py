"""The three crawl sources behind one call: `run_source(spec, as_of, home)`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from fashion_assets.crawl.catalog_folder import read_catalog_folder
from fashion_assets.crawl.crawler import CrawlResult, crawl_site
from fashion_assets.crawl.demo_site import serve_demo_shop
from fashion_assets.crawl.fetch import FetchPolicy
from fashion_assets.crawl.images import fetch_images
from fashion_assets.storage import ObjectStore

SourceName = Literal["demo_shop", "web", "catalog_folder"]
SOURCES: tuple[str, ...] = ("demo_shop", "web", "catalog_folder")
#: Our own loopback shop needs no politeness limits.
DEMO_POLICY = FetchPolicy(per_host_rps=0, per_host_concurrency=32)


class SourceConfigError(ValueError):
    """The crawl source is misconfigured; the message says what to set."""


@dataclass(frozen=True)
class SourceSpec:
    """Which source to crawl and how."""

    source: str = "demo_shop"
    demo_items: int = 2000
    demo_seed: int = 7
    start_url: str = ""
    catalog_folder: str = ""
    field_map: dict[str, str] = field(default_factory=dict)
    product_url_pattern: str | None = None
    max_pages: int | None = None
    policy: FetchPolicy = field(
        default_factory=lambda: FetchPolicy(per_host_rps=2.0, per_host_concurrency=2)
    )

    @property
    def name(self) -> str:
        """The source part of item ids: 'demo_shop', the web shop's host, or 'catalog'."""
        if self.source == "web":
            return urlsplit(self.start_url).netloc or "web"
        return "catalog" if self.source == "catalog_folder" else self.source

    def validate(self) -> SourceSpec:
        """Fail at once on a configuration that cannot work."""
        if self.source not in SOURCES:
            raise SourceConfigError(
                f"unknown crawl source {self.source!r}: set FASHION_CRAWL_SOURCE to one of {SOURCES}"
            )
        if self.source == "web" and not self.start_url.startswith(("http://", "https://")):
            raise SourceConfigError("the web source needs FASHION_CRAWL_URL=https://shop.example/")
        if self.source == "catalog_folder" and not Path(self.catalog_folder).is_dir():
            raise SourceConfigError(
                f"FASHION_CATALOG_FOLDER={self.catalog_folder!r} is not a folder with styles.csv"
            )
        if self.source == "demo_shop" and not 1 <= self.demo_items <= 200_000:
            raise SourceConfigError("FASHION_DEMO_ITEMS must be between 1 and 200000")
        return self


def load_field_map(path: str | None) -> dict[str, str]:
    """A site-specific field map from a JSON file ({"their name": "our field"})."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceConfigError(
            f"FASHION_CRAWL_FIELD_MAP={path!r} is not readable JSON: {exc}"
        ) from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise SourceConfigError(f"{path}: expected a JSON object of strings")
    return data


@dataclass
class CrawlOutput:
    """Pages and images of one crawl."""

    result: CrawlResult
    images: list[dict[str, Any]]
    origin: str


def run_source(
    spec: SourceSpec,
    as_of: date,
    home: Path,
    store: ObjectStore,
    progress: Callable[[str, int, int], None] | None = None,
) -> CrawlOutput:
    """Crawl the configured source as of `as_of`, then its images into `store`.

    Images are fetched while the source is still reachable (the demo shop is served only for
    the crawl's duration).
    """
    spec.validate()

    def stage(name: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(name, done, total)) if progress else None

    async def pages_then_images(start_url: str, policy: FetchPolicy) -> CrawlOutput:
        result = await crawl_site(
            start_url,
            policy=policy,
            field_map=spec.field_map,
            product_url_pattern=spec.product_url_pattern,
            max_pages=spec.max_pages,
            progress=stage("pages"),
        )
        urls = [r["image_url"] for r in result.records if r.get("image_url")]
        images = await fetch_images(urls, store, policy, progress=stage("images"))
        return CrawlOutput(result, images, start_url)

    if spec.source == "catalog_folder":
        result = read_catalog_folder(spec.catalog_folder)
        urls = [r["image_url"] for r in result.records]
        images = asyncio.run(fetch_images(urls, store, spec.policy, progress=stage("images")))
        return CrawlOutput(result, images, spec.catalog_folder)
    if spec.source == "web":
        return asyncio.run(pages_then_images(spec.start_url, spec.policy))
    with serve_demo_shop(home, spec.demo_items, spec.demo_seed, as_of) as origin:
        out = asyncio.run(pages_then_images(origin, DEMO_POLICY))
    out.origin = f"demo shop ({spec.demo_items} items, seed {spec.demo_seed}) at {origin}"
    return out
