"""Item tower quality: the tower (h and z) against the TF-IDF baselines on held-out items of a
real catalogue or of the demo shop, and what the gate would decide.

    .venv/bin/python bench/item_tower_quality.py --folder /data/fashion-product-images
    .venv/bin/python bench/item_tower_quality.py --demo 2000 [--quick] [--set epochs=60]

`--folder` is any folder in the Kaggle "Fashion Product Images" layout (styles.csv +
images/<id>.jpg); it goes through the catalog-folder source and the cleaning step, as
FASHION_SOURCE=catalog does.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.crawl.sources import SourceSpec, run_source
from fashion_assets.itemtower.config import BASELINES, GATE_KEYS, GATE_LABELS, QUICK, TowerConfig
from fashion_assets.itemtower.evaluate import (
    EvalSet,
    baseline_headroom,
    evaluate_baselines,
    evaluate_tower,
    metrics_table,
)
from fashion_assets.itemtower.gate import gate
from fashion_assets.itemtower.train import split_rows, train
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore
from fashion_assets.training.item_tower_job import PROBE_ITEMS


def folder_items(folder: str) -> list[dict[str, Any]]:
    """The items the catalog-folder source and the cleaning step keep from a folder."""
    spec = SourceSpec(source="catalog_folder", catalog_folder=folder)
    with tempfile.TemporaryDirectory() as tmp:
        out = run_source(spec, date.today(), Path(tmp), LocalObjectStore(tmp), today=date.today())
    read = out.result
    items, rejects = clean(spec.name, read.records, {i["image_url"]: i for i in read.images},
                           read.failures)  # fmt: skip
    reasons = Counter(r["reason"] for r in rejects).most_common()
    print(f"{folder}: {len(read.records)} rows -> {len(items)} items (rejected: {reasons})")
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--folder", help="a Kaggle-layout folder (styles.csv + images/)")
    source.add_argument("--demo", type=int, metavar="N", help="N items of the demo shop")
    parser.add_argument("--quick", action="store_true", help="quick mode (as `make demo`)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a TowerConfig field, e.g. --set label_weights=0,0,0,0")  # fmt: skip
    args = parser.parse_args()

    rows = folder_items(args.folder) if args.folder else demo_item_rows(args.demo)
    config = QUICK if args.quick else TowerConfig()
    for field, value in (item.split("=", 1) for item in args.set):
        kind = type(getattr(config, field))
        parsed = tuple(float(v) for v in value.split(",")) if kind is tuple else kind(value)
        config = dataclasses.replace(config, **{field: parsed})
    started = time.perf_counter()
    trained = train(rows, config)
    seconds = time.perf_counter() - started
    train_rows, held_out = split_rows(rows, config)
    eval_set = EvalSet(held_out, train_rows[:PROBE_ITEMS])
    results = evaluate_tower(trained.body, trained.norm, trained.head, trained.tokenizer, config,
                             eval_set)  # fmt: skip
    results.update(evaluate_baselines(trained.tokenizer, config, eval_set))
    print(
        f"trained on {trained.train_items} items, {config.epochs} epochs in {seconds:.0f} s "
        f"({trained.samples_per_s:.0f} samples/s); {len(held_out)} held-out items"
    )
    models = ["h", "z", *BASELINES]
    print("| metric | " + " | ".join(models) + " |")
    print("|---" * (len(models) + 1) + "|")
    for row in metrics_table(results):
        cells = [f"{row[m]:.3f}" if row.get(m) is not None else "" for m in models]
        print(f"| {row['metric']} | " + " | ".join(cells) + " |")
    decision = gate(results["h"], None, {b: results[b] for b in BASELINES}, metric="score",
                    labels=GATE_KEYS, tolerance=0.01, label_floor=0.05)  # fmt: skip
    print(f"gate: {'pass' if decision.passed else 'refuse'} ({decision.reason})")
    for name, room in baseline_headroom(results, eval_set).items():
        ahead = [k for k in GATE_KEYS if results["h"][k] > results[name][k]]
        print(f"h ahead of {name} on {len(ahead)}/{len(GATE_KEYS)}: {', '.join(ahead)}; "
              f"no model could lead it on all of {', '.join(GATE_LABELS)} by more than "
              f"{room:+.4f} (label headroom)")  # fmt: skip


if __name__ == "__main__":
    main()
