"""The three crawl sources behind one call: `run_source(spec, as_of, home, store, today=...)`.

Web and demo-shop crawls keep their pages in a snapshot per partition. A past partition is
re-extracted from its snapshot; a web source never crawls today's site for a past date (it
would file today's shop under that date), and the demo shop, which can show any date, is
crawled as of that date when it has no snapshot. A catalog folder is read as it is now.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from fashion_assets.crawl.catalog_folder import read_catalog_folder
from fashion_assets.crawl.crawler import CrawlResult, crawl_site, replay_snapshot
from fashion_assets.crawl.demo_site import serve_demo_shop
from fashion_assets.crawl.fetch import FetchPolicy, HostSchedule, LocalSchedule
from fashion_assets.crawl.field_map import FieldMap
from fashion_assets.crawl.images import fetch_images
from fashion_assets.crawl.snapshot import SnapshotWriter, read_snapshot, snapshot_key
from fashion_assets.storage import ObjectStore

SourceName = Literal["demo_shop", "web", "catalog_folder"]
SOURCES: tuple[str, ...] = ("demo_shop", "web", "catalog_folder")
CrawlMode = Literal["auto", "snapshot", "live"]
#: Our own loopback shop needs no politeness limits.
DEMO_POLICY = FetchPolicy(per_host_rps=0, per_host_concurrency=32)


class SourceConfigError(ValueError):
    """The crawl source is misconfigured; the message says what to set."""


class NoSnapshotError(SourceConfigError):
    """A past partition of a live site that was never crawled: there is nothing to read."""


@dataclass(frozen=True)
class SourceSpec:
    """Which source to crawl and how."""

    source: str = "demo_shop"
    demo_items: int = 2000
    demo_seed: int = 7
    start_url: str = ""
    catalog_folder: str = ""
    field_map: dict[str, Any] = field(default_factory=dict)
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

    @property
    def snapshot_name(self) -> str:
        """The folder of this source's snapshots (a demo shop's size and seed are part of it)."""
        if self.source == "demo_shop":
            return f"demo_shop-seed{self.demo_seed}-n{self.demo_items}"
        return self.name

    def fields(self) -> FieldMap:
        """The field map: defaults with the site-specific map over them."""
        try:
            return FieldMap.build(self.field_map)
        except ValueError as exc:
            raise SourceConfigError(f"FASHION_CRAWL_FIELD_MAP: {exc}") from exc

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
        self.fields()
        return self


def load_field_map(path: str | None) -> dict[str, Any]:
    """A site-specific field map from a JSON file (see `crawl.field_map`)."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceConfigError(
            f"FASHION_CRAWL_FIELD_MAP={path!r} is not readable JSON: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise SourceConfigError(f"{path}: expected a JSON object")
    try:
        FieldMap.build(data)
    except ValueError as exc:
        raise SourceConfigError(f"{path}: {exc}") from exc
    return data


def plan_crawl(
    spec: SourceSpec, partition: date, today: date, has_snapshot: bool, mode: CrawlMode = "auto"
) -> Literal["live", "snapshot"]:
    """Whether a partition is crawled now or re-extracted from its snapshot.

    Raises NoSnapshotError for a past date of a web source that has no snapshot, and
    SourceConfigError for a live crawl of the past.
    """
    key = snapshot_key(spec.snapshot_name, partition.isoformat())
    if spec.source == "catalog_folder":
        return "live"
    if mode == "snapshot" or (mode == "auto" and partition < today and has_snapshot):
        if not has_snapshot:
            raise NoSnapshotError(f"no snapshot of {spec.name} for {partition} ({key})")
        return "snapshot"
    if partition < today and spec.source == "web":
        if mode == "live":
            raise SourceConfigError(
                f"{partition} is in the past: a live crawl shows {spec.name} as of {today}, not "
                f"as of {partition}; re-extract that partition from its snapshot instead"
            )
        raise NoSnapshotError(
            f"{partition} of {spec.name} was never crawled (no snapshot at {key}). A live site "
            f"can only be crawled for today ({today}); backfill only dates that were crawled"
        )
    return "live"


@dataclass
class CrawlOutput:
    """Pages, products and images of one crawl, and how it was made."""

    result: CrawlResult
    origin: str
    mode: str
    snapshot: str | None = None


def run_source(
    spec: SourceSpec,
    as_of: date,
    home: Path,
    store: ObjectStore,
    *,
    today: date,
    mode: CrawlMode = "auto",
    schedule: HostSchedule | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CrawlOutput:
    """Crawl the configured source as of `as_of` (live, or from its snapshot; see
    `plan_crawl`), then its images into `store`.

    `schedule` spaces requests per host; pass one shared by every run (the PostgreSQL schedule)
    so that concurrent runs keep one politeness budget. Images are fetched while the source is
    still reachable (the demo shop is served only for the crawl's duration).
    """
    spec.validate()
    fmap = spec.fields()
    if spec.source == "catalog_folder":
        result = read_catalog_folder(spec.catalog_folder)
        stage = (lambda d, t: progress("images", d, t)) if progress else None
        urls = [r["image_url"] for r in result.records]
        result.images = asyncio.run(fetch_images(urls, store, progress=stage))
        return CrawlOutput(result, spec.catalog_folder, "folder")
    key = snapshot_key(spec.snapshot_name, as_of.isoformat())
    schedule = schedule or LocalSchedule()
    if plan_crawl(spec, as_of, today, store.exists(key), mode) == "snapshot":
        snap = read_snapshot(store.get(key))

        async def replay() -> CrawlResult:
            try:
                return await replay_snapshot(
                    snap, store, policy=spec.policy, schedule=schedule, field_map=fmap,
                    progress=progress,
                )  # fmt: skip
            finally:
                await schedule.aclose()

        origin = f"{snap.meta.get('origin', spec.name)} (snapshot of {snap.meta.get('started_at')})"
        return CrawlOutput(asyncio.run(replay()), origin, "snapshot", key)

    async def crawl(start_url: str, policy: FetchPolicy) -> CrawlResult:
        meta = {"source": spec.snapshot_name, "partition": as_of.isoformat(), "origin": start_url,
                "started_at": datetime.now(UTC).isoformat()}  # fmt: skip
        writer = SnapshotWriter(meta)
        try:
            result = await crawl_site(
                start_url, store, writer, policy=policy, schedule=schedule, field_map=fmap,
                product_url_pattern=spec.product_url_pattern, max_pages=spec.max_pages,
                progress=progress,
            )  # fmt: skip
        finally:
            await schedule.aclose()
        await asyncio.to_thread(store.put, key, writer.data(), "application/gzip")
        result.stats["snapshot_pages"] = writer.pages
        return result

    if spec.source == "web":
        return CrawlOutput(asyncio.run(crawl(spec.start_url, spec.policy)), spec.start_url,
                           "live", key)  # fmt: skip
    with serve_demo_shop(home, spec.demo_items, spec.demo_seed, as_of) as origin:
        result = asyncio.run(crawl(origin, DEMO_POLICY))
    origin = f"demo shop ({spec.demo_items} items, seed {spec.demo_seed}) at {origin}"
    return CrawlOutput(result, origin, "live", key)
