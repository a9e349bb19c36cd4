"""Embedding throughput: the pipeline against the bare model, and the nightly run's cost.

    .venv/bin/python bench/embedding_throughput.py [--images 256] [--items 600]

1. Pipeline ÷ bare: `embed_images` (object store -> DataLoader decode/preprocess -> model)
   against `encode_image` on the same images decoded and preprocessed beforehand, same model
   (ViT-B-32-quickgelu, random weights cost the same as trained ones) and batch. Goal >= 0.85.
2. Nightly after 1% of items changed, against a full run (encode everything + rebuild the
   vector table), on the embedded PostgreSQL. Goal <= 5%.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import torch

from fashion_assets.crawl.demo_catalog import demo_product
from fashion_assets.crawl.garment_images import draw_garment
from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect, embedded_database_url, stop_embedded
from fashion_assets.db.vectors import publish, save_embeddings, stale_items
from fashion_assets.embed.clip import ClipEncoder
from fashion_assets.embed.pipeline import embed_images, embed_rows
from fashion_assets.embed.spec import ClipSpec
from fashion_assets.storage import LocalObjectStore, content_key


def _shop(store: LocalObjectStore, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        p = demo_product(i, n)
        data = draw_garment(p.category, p.rgb, p.pattern, seed=i)
        key, sha = content_key(data, "JPEG")
        store.put(key, data)
        rows.append({
            "item_id": f"b:{i}", "source": "b", "sku": str(i), "url": "u", "title": p.title,
            "category": p.category, "category_specification": "top", "gender": p.gender,
            "season": p.season, "color": p.color, "fiber_composition": [], "specs": {},
            "reinforced": {}, "image_url": "x", "image_key": key, "image_sha256": sha,
            "content_hash": sha,
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--model", default="ViT-B-32-quickgelu")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-embed-"))
    try:
        store = LocalObjectStore(home / "objects")
        rows = _shop(store, max(args.images, args.items))
        encoder = ClipEncoder(ClipSpec(model=args.model, batch_size=64), home)
        keys = [r["image_key"] for r in rows[: args.images]]
        embed_images(encoder, store, keys[:64])  # warm-up
        pixels = torch.stack([encoder.pixels(store.get(k)) for k in keys])
        start = time.perf_counter()
        for i in range(0, len(pixels), 64):
            encoder.encode_image_batch(pixels[i : i + 64])
        bare = len(keys) / (time.perf_counter() - start)
        start = time.perf_counter()
        embed_images(encoder, store, keys)
        pipeline = len(keys) / (time.perf_counter() - start)
        print(f"\n== {args.model}, {len(keys)} images, batch 64, {torch.get_num_threads()} threads")
        print(f"bare encode_image (pre-decoded): {bare:6.1f} images/s")
        print(f"pipeline (store + DataLoader):   {pipeline:6.1f} images/s")
        print(f"pipeline / bare = {pipeline / bare:.2f}")

        items = rows[: args.items]
        with connect(embedded_database_url(home)) as conn:
            migrate(conn)
            upsert_items(conn, items, "p1")

            def run() -> float:
                started = time.perf_counter()
                pending = stale_items(conn, encoder.version)
                images, texts = embed_rows(encoder, store, pending)
                save_embeddings(conn, encoder.version, pending, images, texts)
                publish(conn, encoder.version, encoder.dim)
                return time.perf_counter() - started

            full = run()
            changed = [{**r, "title": r["title"] + " (new)", "content_hash": r["content_hash"][:60]
                        + "0001"} for r in items[: max(1, len(items) // 100)]]  # fmt: skip
            upsert_items(conn, changed, "p2")
            nightly = run()
        print(f"\n== nightly after {len(changed)} of {len(items)} items changed ({args.model})")
        print(
            f"full run {full:.1f}s, nightly {nightly:.2f}s, nightly / full = {nightly / full:.3f}"
        )
    finally:
        stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
