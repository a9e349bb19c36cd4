"""Ingest assets: crawl -> raw_items + item_images -> filtered/rejected items -> items_table."""

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
from pydantic import Field

from fashion_assets.crawl.crawler import CrawlResult
from fashion_assets.crawl.sources import run_source
from fashion_assets.db.host_schedule import PostgresHostSchedule
from fashion_assets.db.items import replace_rejects, upsert_items
from fashion_assets.preprocess.checks import duplicate_ids, unknown_reasons, vocabulary_violations
from fashion_assets.preprocess.clean import clean
from fashion_assets.preprocess.provenance import chosen_by, stated_by, warning_kinds

from .metadata import counts_table, frame_metadata, md_table, pg_table_metadata, value_counts
from .partitions import daily_partitions
from .policies import DAILY, NETWORK_RETRY, fail_at_once_when_misconfigured
from .resources import CrawlSourceResource, ObjectStoreResource, PostgresResource

GROUP = "ingest"


def _raw_frame(result: CrawlResult, source: str) -> pd.DataFrame:
    ok = [{"source": source, "status": "ok", "detail": "", **r} for r in result.records]
    failed = [
        {"source": source, "status": f["reason"], "detail": f["detail"], "url": f["url"]}
        for f in result.failures
    ]
    columns = [
        "source",
        "status",
        "detail",
        "url",
        "sku",
        "name",
        "brand",
        "image_url",
        "price",
        "currency",
        "fields",
        "extra",
        "provenance",
        "notes",
    ]
    return pd.DataFrame(ok + failed, columns=columns)


class CrawlConfig(dg.Config):
    """How the partition's pages are obtained."""

    pages_from: Literal["auto", "snapshot", "live"] = Field(
        "auto",
        description="auto: today's partition is crawled live, a past one is re-extracted from "
        "its snapshot (a web source's past date without one fails); snapshot: always "
        "re-extract; live: crawl now (today's partition, or any date of the demo shop)",
    )


@dg.multi_asset(
    outs={
        "raw_items": dg.AssetOut(
            kinds={"python", "parquet"},
            description="One row per product page (or catalog row) crawled; "
            "failed pages carry their reason in `status`.",
        ),
        "item_images": dg.AssetOut(
            kinds={"python", "parquet"},
            description="One row per image URL: content-addressed object "
            "key, sha256, size, perceptual hash, or the failure reason.",
        ),
    },
    partitions_def=daily_partitions,
    group_name=GROUP,
    can_subset=False,
    retry_policy=NETWORK_RETRY,
)
def crawl(
    context: dg.AssetExecutionContext,
    config: CrawlConfig,
    crawl_source: CrawlSourceResource,
    objects: ObjectStoreResource,
    postgres: PostgresResource,
):
    """Crawl the configured source as of the partition date (or re-extract the pages its
    snapshot kept), then fetch its images; every host keeps one request schedule in
    PostgreSQL, shared with every other run that crawls it."""
    with fail_at_once_when_misconfigured():
        spec = crawl_source.spec()
        store = objects.store()
        postgres.connect().close()  # migrated: the schedule's table exists
    step = {"pages": -1, "images": -1}
    today = datetime.now(ZoneInfo(daily_partitions.timezone)).date()

    def progress(stage: str, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth > step[stage]:
            step[stage] = tenth
            context.log.info(f"{stage}: {done}/{total}")

    with fail_at_once_when_misconfigured():
        out = run_source(
            spec,
            date.fromisoformat(context.partition_key),
            crawl_source.home(),
            store,
            today=today,
            mode=config.pages_from,
            schedule=PostgresHostSchedule(postgres.url()),
            progress=progress,
        )
    raw = _raw_frame(out.result, spec.name)
    images = pd.DataFrame(
        out.result.images,
        columns=[
            "image_url",
            "status",
            "detail",
            "sha256",
            "image_key",
            "bytes",
            "format",
            "width",
            "height",
            "phash",
        ],
    )
    stats = out.result.stats
    context.log.info(f"crawled {out.origin} ({out.mode}): {stats}")
    ok_images = images[images["status"] == "ok"]
    yield dg.Output(
        raw,
        output_name="raw_items",
        metadata={
            **frame_metadata(raw),
            "origin": out.origin,
            "pages_from": out.mode,
            "snapshot": store.uri(out.snapshot) if out.snapshot else "none",
            "fields_stated_by_source": counts_table(stated_by(out.result.records)),
            "products": int((raw["status"] == "ok").sum()),
            "failed_pages": int((raw["status"] != "ok").sum()),
            "failures_by_reason": value_counts(raw.loc[raw["status"] != "ok", "status"]),
            "pages_per_s": stats.get("pages_per_s") or 0.0,
            "sample": md_table(raw[["status", "url", "name", "detail"]]),
        },
    )
    yield dg.Output(
        images,
        output_name="item_images",
        metadata={
            **frame_metadata(images),
            "images_ok": len(ok_images),
            "images_failed": len(images) - len(ok_images),
            "failures_by_reason": value_counts(images.loc[images["status"] != "ok", "status"]),
            "stored_bytes": int(ok_images["bytes"].sum()) if len(ok_images) else 0,
            "examples": dg.MetadataValue.md(
                "\n".join(f"- [{k}]({store.uri(k)})" for k in ok_images["image_key"].head(5))
            ),
        },
    )


@dg.multi_asset(
    outs={
        "filtered_items": dg.AssetOut(
            kinds={"pandas", "parquet"},
            description="Items inside the vocabulary, with a stored image, de-duplicated.",
        ),
        "rejected_items": dg.AssetOut(
            kinds={"pandas", "parquet"},
            description="Every page, row or product that did not become an item, with its reason.",
        ),
    },
    partitions_def=daily_partitions,
    group_name=GROUP,
    check_specs=[
        dg.AssetCheckSpec("attributes_in_vocabulary", asset="filtered_items", blocking=True),
        dg.AssetCheckSpec("unique_item_ids", asset="filtered_items", blocking=True),
        dg.AssetCheckSpec("known_reject_reasons", asset="rejected_items", blocking=True),
    ],
)
def clean_items(
    context: dg.AssetExecutionContext, raw_items: pd.DataFrame, item_images: pd.DataFrame
):
    """Normalise attributes onto the vocabulary, check images, drop and record duplicates."""
    ok = raw_items[raw_items["status"] == "ok"]
    failed = raw_items[raw_items["status"] != "ok"]
    source = str(raw_items["source"].iloc[0]) if len(raw_items) else "none"
    images = {r["image_url"]: r for r in item_images.to_dict("records")}
    items, rejects = clean(
        source,
        ok.to_dict("records"),
        images,
        [{"url": r.url, "reason": r.status, "detail": r.detail} for r in failed.itertuples()],
    )
    filtered = pd.DataFrame(items)
    rejected = pd.DataFrame(rejects, columns=["url", "reason", "source", "item_id", "detail"])
    context.log.info(f"{len(filtered)} items kept, {len(rejected)} rejected")
    yield dg.Output(
        filtered,
        output_name="filtered_items",
        metadata={
            **frame_metadata(filtered),
            "items": len(filtered),
            "by_category": value_counts(filtered["category"]) if len(filtered) else {},
            "provenance": counts_table(chosen_by(items)),
            "warnings": dg.MetadataValue.json(dict(warning_kinds(items))),
            "sample": md_table(
                filtered[["item_id", "title", "category", "season", "color", "gender"]]
                if len(filtered)
                else filtered
            ),
        },
    )
    yield dg.Output(
        rejected,
        output_name="rejected_items",
        metadata={
            **frame_metadata(rejected),
            "rejected": len(rejected),
            "by_reason": value_counts(rejected["reason"]),
            "sample": md_table(rejected),
        },
    )
    bad = vocabulary_violations(items)
    yield dg.AssetCheckResult(
        check_name="attributes_in_vocabulary",
        asset_key="filtered_items",
        passed=not bad,
        metadata={"violations": len(bad), "examples": bad[:10]},
    )
    dups = duplicate_ids(items)
    yield dg.AssetCheckResult(
        check_name="unique_item_ids",
        asset_key="filtered_items",
        passed=not dups,
        metadata={"duplicates": dups[:20]},
    )
    unknown = unknown_reasons(rejects)
    yield dg.AssetCheckResult(
        check_name="known_reject_reasons",
        asset_key="rejected_items",
        passed=not unknown,
        metadata={"unknown": unknown},
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name=GROUP,
    freshness_policy=DAILY,
    kinds={"postgres"},
    check_specs=[dg.AssetCheckSpec("partition_rows_in_table", asset="items_table")],
    description="The `items` and `rejected_items` tables in PostgreSQL (idempotent upsert).",
)
def items_table(
    context: dg.AssetExecutionContext,
    postgres: PostgresResource,
    filtered_items: pd.DataFrame,
    rejected_items: pd.DataFrame,
):
    """Upsert the partition's items and replace its reject records."""
    partition = context.partition_key
    rows = filtered_items.to_dict("records")
    with postgres.connect() as conn:
        counts = upsert_items(conn, rows, partition)
        recorded = replace_rejects(conn, rejected_items.to_dict("records"), partition)
        table = pg_table_metadata(conn, "items")
        hashes = dict(
            conn.execute(
                "SELECT item_id, content_hash FROM items WHERE item_id = ANY(%s)",
                ([r["item_id"] for r in rows],),
            ).fetchall()
        )
    missing = [r["item_id"] for r in rows if hashes.get(r["item_id"]) != r["content_hash"]]
    yield dg.MaterializeResult(
        metadata={
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "rejects_recorded": recorded,
            **table,
        }
    )
    yield dg.AssetCheckResult(
        check_name="partition_rows_in_table",
        passed=not missing,
        metadata={"missing_or_stale": missing[:20]},
    )
