"""Item tower: training samples/s on this machine, the epoch time at 30,000 items, and the
evaluation table (tower h and z against TF-IDF) after a full training on the demo shop.

    .venv/bin/python bench/item_tower_training.py [--items 2000] [--epoch-items 30000]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.itemtower.config import TowerConfig
from fashion_assets.itemtower.evaluate import EvalSet, evaluate_tfidf, evaluate_tower, metrics_table
from fashion_assets.itemtower.train import split_rows, train
from fashion_assets.training.item_tower_job import PROBE_ITEMS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000, help="demo shop size for the table")
    parser.add_argument("--epoch-items", type=int, default=30000, help="items for the epoch time")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")

    config = TowerConfig()
    rows = demo_item_rows(args.epoch_items)
    started = time.perf_counter()
    one = train(rows, dataclasses.replace(config, epochs=1))
    print(
        f"{args.epoch_items} items ({one.train_items} trained): tokenizer + setup + 1 epoch "
        f"{time.perf_counter() - started:.1f} s; epoch {one.epoch_seconds[0]:.1f} s, "
        f"{one.samples_per_s:.0f} samples/s (batch {config.batch_size}, dim {config.dim})"
    )

    rows = demo_item_rows(args.items)
    trained = train(rows, config)
    print(
        f"{args.items} items, {config.epochs} epochs: {sum(trained.epoch_seconds):.1f} s, "
        f"{trained.samples_per_s:.0f} samples/s, loss {trained.epoch_losses[0]:.3f} -> "
        f"{trained.epoch_losses[-1]:.3f}"
    )
    train_rows, held_out = split_rows(rows, config)
    eval_set = EvalSet(held_out, train_rows[:PROBE_ITEMS])
    results = evaluate_tower(trained.body, trained.norm, trained.head, trained.tokenizer, config,
                             eval_set)  # fmt: skip
    results["tfidf"] = evaluate_tfidf(trained.tokenizer, config, eval_set)
    print(f"evaluation on {len(held_out)} held-out items:")
    print(f"{'metric':<24}{'h':>9}{'z':>9}{'tfidf':>9}")
    for row in metrics_table(results):
        print(f"{row['metric']:<24}{row['h']:>9.4f}{row['z']:>9.4f}{row['tfidf']:>9.4f}")
    for probe in ("linear_probe_category", "knn_probe_category"):
        h, z = results["h"][probe], results["z"][probe]
        print(f"{probe}: h / z = {h / z:.2f}")


if __name__ == "__main__":
    main()
