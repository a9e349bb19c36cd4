"""Item tower training speed: samples/s on this machine, the epoch time at 30,000 items and a
full training of the demo shop (quality: bench/item_tower_quality.py).

    .venv/bin/python bench/item_tower_training.py [--items 2000] [--epoch-items 30000]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.itemtower.config import TowerConfig
from fashion_assets.itemtower.train import train


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--items", type=int, default=2000, help="demo shop size for a full training"
    )
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


if __name__ == "__main__":
    main()
