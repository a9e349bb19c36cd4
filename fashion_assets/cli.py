"""`python -m fashion_assets.cli`: run the demo, show what is in the catalogue, stop the database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from fashion_assets.db.server import (
    DatabaseUnavailable,
    database_url,
    redact,
    stop_embedded,
)
from fashion_assets.settings import Settings


def today_partition() -> str:
    """Today's partition key in the partitions' time zone (Korean shop time)."""
    return datetime.now(ZoneInfo("Asia/Seoul")).date().isoformat()


def run_daily(partition: str) -> bool:
    """Run `daily_job` for one partition, then refresh the VLM training set, tune CLIP and
    refresh the vectors, and train the item tower in quick mode, on the DAGSTER_HOME instance
    (so the runs show in the UI). A gate that refuses a model is reported, not a failure."""
    import dagster as dg

    from fashion_assets.definitions import defs

    instance = dg.DagsterInstance.get()
    logs = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    every = defs.resolve_implicit_global_asset_job_def()
    runs = [
        (defs.resolve_job_def("daily_job"), partition),
        (every.get_subset(asset_selection={dg.AssetKey("vlm_training_set")}), None),
        (defs.resolve_job_def("clip_job"), None),
        (defs.resolve_job_def("item_tower_job"), None),
    ]
    quick = {"ops": {"item_tower_checkpoint": {"config": {"quick": True}}}}
    for job, key in runs:
        config = {**logs, **(quick if job.name == "item_tower_job" else {})}
        result = job.execute_in_process(
            partition_key=key, instance=instance, run_config=config, raise_on_error=False
        )
        refused = [c for c in result.get_asset_check_evaluations() if not c.passed]
        if refused and job.name in GATED:  # the gate did its job: not a failure
            print(f"{GATED[job.name]} not promoted: {refused[0].description}", flush=True)
            if job.name == "clip_job":  # the vectors still need refreshing, with the model in use
                result = defs.resolve_job_def("reembed_job").execute_in_process(
                    instance=instance, run_config=logs, raise_on_error=False
                )
        if not result.success and not (refused and job.name == "item_tower_job"):
            return False
    return True


#: Jobs whose blocking gate may refuse a model, and what they train.
GATED = {"clip_job": "tuned CLIP", "item_tower_job": "item tower"}


def sample_search(
    settings: Settings, queries: tuple[str, ...] = ("black winter coat", "블랙 겨울 코트")
) -> list[str]:
    """Hybrid text searches (what the query was understood to mean, then the top 5), and the
    tower's similar items for the first item (the searches the serving API offers)."""
    from fashion_assets.db.vectors import item_vector, search
    from fashion_assets.defs.resources import build_resources
    from fashion_assets.search.hybrid import LexicalIndexCache, text_search

    resources = build_resources(settings)
    encoder = resources["clip"].encoder()
    row = "  {h.item_id}  {h.title}  [{h.category}, {h.color}, {h.season}]"
    lines: list[str] = []
    with resources["postgres"].connect() as conn:
        lexical = LexicalIndexCache()
        for query in queries:
            found = text_search(conn, lexical, query, lambda t: encoder.encode_texts([t])[0], k=5)
            understood = ", ".join(f"{u.field}={'/'.join(u.values)}" for u in found.understood)
            relaxed = (
                f"; no match for all, gave up {', '.join(found.relaxed)}" if found.relaxed else ""
            )
            lines += [f"search {query!r} (understood: {understood or 'nothing'}{relaxed}; "
                      f"{found.plan}):",
                      *(row.format(h=h) for h in found.hits)]  # fmt: skip
        first = conn.execute("SELECT item_id, title FROM items ORDER BY item_id LIMIT 1").fetchone()
        towers = conn.execute("SELECT 1 FROM vector_tables WHERE name = 'tower_vectors'")
        similar = []
        if towers.fetchone():
            similar, _, _ = search(conn, item_vector(conn, first[0], "tower"), k=3, against="tower",
                                exclude=first[0])  # fmt: skip
    if similar:
        lines += [f"similar to {first[0]} {first[1]} (item tower):",
                  *(row.format(h=h) for h in similar)]  # fmt: skip
    return lines


def tower_table(evaluation: dict[str, dict[str, float]]) -> list[str]:
    """The gate's metrics of the served h beside the TF-IDF baselines, as aligned text rows."""
    from fashion_assets.itemtower.config import BASELINES, GATE_KEYS, GATE_METRIC

    models = ["h", *(name for name in BASELINES if name in evaluation)]
    rows = [f"  {'':<20}" + "".join(f"{m:>18}" for m in models)]
    for key in (*GATE_KEYS, GATE_METRIC):
        cells = (evaluation[m].get(key) for m in models)  # an older checkpoint lacks new keys
        rows.append(f"  {key:<20}" + "".join(f"{'-' if v is None else f'{v:.3f}':>18}"
                                              for v in cells))  # fmt: skip
    return rows


def summary(settings: Settings) -> str:
    """What the catalogue holds now, and where to look next."""
    from fashion_assets.defs.resources import build_resources
    from fashion_assets.embed.tuned import promoted_clip
    from fashion_assets.itemtower.registry import serving_checkpoint

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
        vectors = dict(
            conn.execute("SELECT name, format('%s rows of %s', rows, model_version) "
                         "FROM vector_tables").fetchall()
        )  # fmt: skip
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
    tuned = promoted_clip(store)
    clip = f"CLIP: tuned weights {store.uri(tuned['weights'])} ({tuned['gate']})" if tuned else (
        "CLIP: the configured model (no tuned model promoted)")  # fmt: skip
    serving = serving_checkpoint(store)
    tower = ["item tower: not trained yet"]
    if serving:
        metrics = json.loads(store.get(f"{serving['checkpoint']}/metrics.json"))
        tower = [
            f"item tower serving {store.uri(serving['checkpoint'])}, on "
            f"{metrics['eval_items']} held-out items:",
            *tower_table(metrics["evaluation"]),
            *(f"  no model could lead {name} on every gate label by more than {room:+.3f} here"
              for name, room in metrics.get("label_headroom", {}).items()),
        ]  # fmt: skip
    return "\n".join([
        f"items in PostgreSQL: {items} across {categories} categories ({redact(postgres.url())})",
        "rejected: " + (", ".join(f"{r} {n}" for r, n in reasons) or "none"),
        *(f"  {i}  {t}  [{c}, {s}, {col}]" for i, t, c, s, col in sample),
        training,
        *(f"{name}: {vectors.get(name, 'not built')}" for name in ("item_vectors", "tower_vectors")),
        clip,
        *tower,
        f"images in the object store: {store.uri('images')}",
        "next: `make dev` opens the Dagster UI at http://127.0.0.1:3000 "
        "(assets, checks, schedules, sensors; materialize or backfill partitions there)",
        "      `make serve` starts the services: web page http://127.0.0.1:8000, "
        "API docs http://127.0.0.1:8000/docs",
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
            print(database_url(settings))
        elif args.command == "db-stop":
            print("stopped" if stop_embedded(settings.home) else "not running")
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
