"""`python -m fashion_assets.cli`: run the demo, show what is in the catalogue, stop the database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from fashion_assets.db.server import (
    DatabaseUnavailable,
    embedded_database_url,
    redact,
    stop_embedded,
)
from fashion_assets.settings import Settings


def today_partition() -> str:
    """Today's partition key in the partitions' time zone (Korean shop time)."""
    return datetime.now(ZoneInfo("Asia/Seoul")).date().isoformat()


def run_daily(partition: str) -> bool:
    """Run `daily_job` for one partition, then refresh the VLM training set and the vectors,
    on the DAGSTER_HOME instance (so the runs show in the UI)."""
    import dagster as dg

    from fashion_assets.definitions import defs

    instance = dg.DagsterInstance.get()
    logs = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    every = defs.resolve_implicit_global_asset_job_def()
    runs = [
        (defs.resolve_job_def("daily_job"), partition),
        (every.get_subset(asset_selection={dg.AssetKey("vlm_training_set")}), None),
        (defs.resolve_job_def("reembed_job"), None),
    ]
    for job, key in runs:
        result = job.execute_in_process(
            partition_key=key, instance=instance, run_config=logs, raise_on_error=False
        )
        if not result.success:
            return False
    return True


def sample_search(settings: Settings, query: str = "black winter coat") -> list[str]:
    """A text query against the item images (the search the serving API will offer)."""
    from fashion_assets.db.vectors import search
    from fashion_assets.defs.resources import build_resources

    resources = build_resources(settings)
    encoder = resources["clip"].encoder()
    with resources["postgres"].connect() as conn:
        hits, plan = search(
            conn, encoder.encode_texts([query])[0], k=3, filters={"season": ["winter"]}
        )
    return [f"search {query!r} (winter only, plan {plan}):"] + [
        f"  {h.distance:.3f}  {h.item_id}  {h.title}  [{h.category}, {h.color}]" for h in hits
    ]


def summary(settings: Settings) -> str:
    """What the catalogue holds now, and where to look next."""
    from fashion_assets.defs.resources import build_resources

    resources = build_resources(settings)
    postgres, store = resources["postgres"], resources["objects"].store()
    with postgres.connect() as conn:
        items, categories = conn.execute(
            "SELECT count(*), count(DISTINCT category) FROM items"
        ).fetchone()
        reasons = conn.execute(
            "SELECT reason, count(*) FROM rejected_items GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        sample = conn.execute(
            "SELECT item_id, title, category, season, color FROM items ORDER BY item_id LIMIT 3"
        ).fetchall()
        vectors = conn.execute(
            "SELECT model_version, rows FROM vector_tables WHERE name = 'item_vectors'"
        ).fetchone()
    manifest_key = "training/vlm/manifest.json"
    if store.exists(manifest_key):
        manifest = json.loads(store.get(manifest_key))
        training = (
            f"VLM training set: {manifest['train']} train / {manifest['eval']} eval "
            f"conversations from {manifest['partitions']} partition(s) at "
            + store.uri("training/vlm/train.jsonl")
        )
    else:
        training = "VLM training set: not built yet"
    return "\n".join([
        f"items in PostgreSQL: {items} across {categories} categories ({redact(postgres.url())})",
        "rejected: " + (", ".join(f"{r} {n}" for r, n in reasons) or "none"),
        *(f"  {i}  {t}  [{c}, {s}, {col}]" for i, t, c, s, col in sample),
        training,
        f"item_vectors: {vectors[1]} rows of {vectors[0]}" if vectors else "item_vectors: not built",
        f"images in the object store: {store.uri('images')}",
        "next: `make dev` opens the Dagster UI at http://127.0.0.1:3000 "
        "(assets, checks, schedules; materialize or backfill partitions there)",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fashion_assets")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the daily pipeline for a day, then print a summary")
    demo.add_argument("--partition", default=None, help="YYYY-MM-DD (default: today, KST)")
    sub.add_parser("summary", help="print what the catalogue holds")
    sub.add_parser("db-url", help="print the database URL (starting the embedded server)")
    sub.add_parser("db-stop", help="stop the embedded PostgreSQL server")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        if args.command == "demo":
            partition = args.partition or today_partition()
            print(f"materializing the daily pipeline for partition {partition} ...", flush=True)
            if not run_daily(partition):
                print("the run failed: see the log above", file=sys.stderr)
                return 1
            print(summary(settings))
            print("\n".join(sample_search(settings)))
        elif args.command == "summary":
            print(summary(settings))
        elif args.command == "db-url":
            print(settings.database_url or embedded_database_url(settings.home))
        elif args.command == "db-stop":
            print("stopped" if stop_embedded(settings.home) else "not running")
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
