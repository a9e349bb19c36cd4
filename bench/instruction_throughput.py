"""Instruction generation throughput, and the time for a 30,000-item catalogue.

    .venv/bin/python bench/instruction_throughput.py [--items 2000 30000]

For each size, in one run: the generator alone (instructions/s), then what the asset adds —
building the DataFrame and writing the partition's parquet — and the merge + split + JSON Lines
of the training set. Augmentation is off (it is bound by the model server, not by this code).
"""

from __future__ import annotations

import argparse
import io
import time

import pandas as pd

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.instructions.generator import COLUMNS, generate
from fashion_assets.instructions.training_set import conversations, merge_partitions, to_jsonl


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, nargs="+", default=[2000, 30000])
    args = parser.parse_args()
    for n in args.items:
        items = demo_item_rows(n)
        start = time.perf_counter()
        rows = generate(items)
        t_gen = time.perf_counter() - start
        start = time.perf_counter()
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        frame.to_parquet(io.BytesIO(), index=False)
        t_parquet = time.perf_counter() - start
        start = time.perf_counter()
        splits = conversations(merge_partitions([{**r, "partition": "p"} for r in rows]))
        size = sum(len(to_jsonl(records)) for records in splits.values())
        t_train = time.perf_counter() - start
        total = t_gen + t_parquet + t_train
        print(
            f"\n== {len(items)} items -> {len(rows)} instructions "
            f"({len(rows) / len(items):.2f} per item)"
        )
        print(f"generator: {t_gen:6.2f}s  {len(rows) / t_gen:8.0f} instructions/s")
        print(f"parquet:   {t_parquet:6.2f}s   training set: {t_train:6.2f}s ({size / 1e6:.1f} MB)")
        print(f"all:       {total:6.2f}s  {len(rows) / total:8.0f} instructions/s end to end")


if __name__ == "__main__":
    main()
