"""pgvector: loading methods, and search recall/latency under filters, at 100k x 512.

    .venv/bin/python bench/vector_search.py [--rows 100000] [--dim 512]

1. Loading 20,000 rows: `save_embeddings` (binary COPY into a temp table + upsert) against
   psycopg `executemany` INSERT and a raw binary COPY into a plain table.
2. Search over `item_vectors` (HNSW built by `publish`): recall@10 against exact search and
   p50/p99 latency, unfiltered and with filters matching 50%, 10%, 1% and 0.1% of rows, for the
   planner (`search`) and for pgvector's default plan (HNSW, ef_search 40, no iterative scan).
Vectors are random (the hardest case for HNSW); the search counts include the planner's count.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect, embedded_database_url, stop_embedded
from fashion_assets.db.vectors import publish, save_embeddings, search, vector_conn

SHARES = {"White": 0.5, "Gray": 0.1, "Red": 0.01, "Purple": 0.001}


def _items(colors: list[str]) -> list[dict]:
    return [{
        "item_id": f"v:{i:07d}", "source": "v", "sku": str(i), "url": "u", "title": f"t{i}",
        "category": "04bottom_01pants", "category_specification": "bottom", "gender": "male",
        "season": "winter", "color": c, "fiber_composition": [], "specs": {}, "reinforced": {},
        "image_url": "x", "image_key": "k", "image_sha256": "0" * 64, "content_hash": f"h{i}",
    } for i, c in enumerate(colors)]  # fmt: skip


def _loading(conn, vectors: np.ndarray, items: list[dict]) -> None:
    n = 20_000
    start = time.perf_counter()
    save_embeddings(conn, "load-test", items[:n], vectors[:n], vectors[:n])
    ours = time.perf_counter() - start
    conn.execute("CREATE TABLE raw_load (item_id text, v vector)")
    start = time.perf_counter()
    with conn.cursor() as cur, cur.copy("COPY raw_load FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "vector"])
        for item, v in zip(items[:n], vectors[:n], strict=True):
            copy.write_row([item["item_id"], v])
    raw = time.perf_counter() - start
    m = 2_000  # executemany is slow: measure on fewer rows and scale
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO raw_load VALUES (%s, %s)",
            [(i["item_id"], v) for i, v in zip(items[:m], vectors[:m], strict=True)],
        )
    many = (time.perf_counter() - start) * n / m
    conn.execute("DROP TABLE raw_load")
    conn.execute("DELETE FROM item_embeddings WHERE model_version = 'load-test'")
    print(f"\n== loading {n} x {vectors.shape[1]}")
    print(f"save_embeddings (binary COPY + upsert): {ours:6.2f}s  {n / ours:8.0f} rows/s")
    print(f"raw binary COPY:                        {raw:6.2f}s  {n / raw:8.0f} rows/s")
    print(f"executemany INSERT (from {m} rows):     {many:6.2f}s  {n / many:8.0f} rows/s")
    print(f"ours / raw COPY time = {ours / raw:.2f}; executemany / ours time = {many / ours:.1f}")


def _default_plan(conn, query, k, color):
    with conn.transaction():
        conn.execute("SET LOCAL hnsw.ef_search = 40")
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        where = "WHERE color = %s" if color else ""
        params = [color] if color else []
        return [r[0] for r in conn.execute(
            f"SELECT item_id FROM item_vectors {where} ORDER BY image_embedding <=> %s LIMIT %s",
            [*params, query, k]).fetchall()]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    colors = [c for c, share in SHARES.items() for _ in range(int(args.rows * share))]
    colors += ["Black"] * (args.rows - len(colors))
    rng.shuffle(colors)
    colors_arr = np.array(colors)
    vectors = rng.normal(size=(args.rows, args.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = _items(colors)
    home = Path(tempfile.mkdtemp(prefix="bench-vectors-"))
    try:
        with connect(embedded_database_url(home)) as conn:
            migrate(conn)
            vector_conn(conn)
            upsert_items(conn, items, "p")
            _loading(conn, vectors, items)
            start = time.perf_counter()
            save_embeddings(conn, "bench", items, vectors, vectors)
            loaded = time.perf_counter() - start
            start = time.perf_counter()
            publish(conn, "bench", args.dim, build_memory="2GB")
            built = time.perf_counter() - start
            print(
                f"\n== {args.rows} x {args.dim}: embeddings loaded in {loaded:.1f}s, "
                "item_vectors built (2 HNSW indexes) in {built:.1f}s".format(built=built)
            )
            print(
                f"{'filter':>14} {'plan':>6} {'rows':>5} {'recall':>7} {'p50 ms':>7} "
                f"{'p99 ms':>7} | default plan: {'rows':>5} {'recall':>7}"
            )
            for color in (None, *SHARES):
                mask = np.ones(args.rows, bool) if color is None else colors_arr == color
                idx = np.flatnonzero(mask)
                rec, lat, rows, plans, d_rows, d_rec = [], [], [], set(), [], []
                for _ in range(args.queries):
                    q = rng.normal(size=args.dim).astype(np.float32)
                    q /= np.linalg.norm(q)
                    truth = {f"v:{i:07d}" for i in idx[np.argsort(-(vectors[idx] @ q))[:10]]}
                    start = time.perf_counter()
                    hits, plan = search(conn, q, 10, {"color": [color]} if color else None)
                    lat.append(time.perf_counter() - start)
                    plans.add(plan)
                    rows.append(len(hits))
                    rec.append(len(truth & {h.item_id for h in hits}) / 10)
                    default = _default_plan(conn, q, 10, color)
                    d_rows.append(len(default))
                    d_rec.append(len(truth & set(default)) / 10)
                label = "none" if color is None else f"{SHARES[color]:.1%}"
                print(
                    f"{label:>14} {'/'.join(sorted(plans)):>6} {np.mean(rows):5.1f} "
                    f"{np.mean(rec):7.3f} {np.percentile(lat, 50) * 1e3:7.1f} "
                    f"{np.percentile(lat, 99) * 1e3:7.1f} | {np.mean(d_rows):18.1f} "
                    f"{np.mean(d_rec):7.3f}"
                )
    finally:
        stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
