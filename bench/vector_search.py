"""pgvector: loading methods, and search recall/latency under filters, at 100k x 512.

    .venv/bin/python bench/vector_search.py [--rows 100000] [--dim 512]

1. Loading 20,000 rows: `save_embeddings` (binary COPY into a temp table + upsert) against
   psycopg `executemany` INSERT and a raw binary COPY into a plain table.
2. Search over `item_vectors` (HNSW built by `publish`): recall@10 against exact search and
   p50/p99 latency, unfiltered and with filters matching 50%, 10%, 1% and 0.1% of rows, for the
   planner (`search`) and for pgvector's default plan (HNSW, ef_search 40, no iterative scan).
Data: `--data embedding` (default) draws vectors with the low intrinsic dimension of real
embeddings (a 48-d latent projected to the full dimension, plus noise); `--data random` draws
i.i.d. Gaussian vectors, where all distances concentrate and HNSW has no structure to exploit
(the worst case, reported for contrast). Latency includes the planner's count query.
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
    """Three ways to load the same 20,000 rows into a table shaped like item_embeddings."""
    n = 20_000
    rows = [(i["item_id"], i["content_hash"], v, v) for i, v in zip(items[:n], vectors[:n],
                                                                    strict=True)]  # fmt: skip
    start = time.perf_counter()
    save_embeddings(conn, "load-test", items[:n], vectors[:n], vectors[:n])
    ours = time.perf_counter() - start
    conn.execute("DELETE FROM item_embeddings WHERE model_version = 'load-test'")
    start = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO item_embeddings (item_id, model_version, content_hash, image_embedding, "
            "text_embedding) VALUES (%s, 'load-test', %s, %s, %s) ON CONFLICT (item_id, "
            "model_version) DO UPDATE SET image_embedding = EXCLUDED.image_embedding",
            rows,
        )
    many = time.perf_counter() - start
    conn.execute("DELETE FROM item_embeddings WHERE model_version = 'load-test'")
    conn.execute("CREATE TABLE raw_load (LIKE item_embeddings INCLUDING ALL)")
    start = time.perf_counter()
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY raw_load (item_id, model_version, content_hash, image_embedding, text_embedding) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["text", "text", "text", "vector", "vector"])
        for item_id, content_hash, image, text in rows:
            copy.write_row([item_id, "load-test", content_hash, image, text])
    raw = time.perf_counter() - start
    conn.execute("DROP TABLE raw_load")
    print(f"\n== loading {n} x {vectors.shape[1]} (two vectors a row) into item_embeddings")
    print(f"save_embeddings (delete + binary COPY): {ours:6.2f}s  {n / ours:8.0f} rows/s")
    print(f"executemany INSERT ... ON CONFLICT:     {many:6.2f}s  {n / many:8.0f} rows/s")
    print(f"raw binary COPY into an empty copy:     {raw:6.2f}s  {n / raw:8.0f} rows/s")
    print(f"executemany / ours time = {many / ours:.2f}; ours / raw COPY time = {ours / raw:.2f}")


def _default_plan(conn, query, k, color):
    with conn.transaction():
        conn.execute("SET LOCAL hnsw.ef_search = 40")
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        where = "WHERE color = %s" if color else ""
        params = [color] if color else []
        return [r[0] for r in conn.execute(
            f"SELECT item_id FROM item_vectors {where} ORDER BY image_embedding <=> %s LIMIT %s",
            [*params, query, k]).fetchall()]  # fmt: skip


def _vectors(rng, n: int, dim: int, kind: str) -> np.ndarray:
    """`n` unit vectors: i.i.d. ("random") or from one fixed 48-d latent basis ("embedding")."""
    if kind == "random":
        out = rng.normal(size=(n, dim))
    else:
        basis = _BASIS.setdefault(dim, np.random.default_rng(1).normal(size=(48, dim)))
        out = rng.normal(size=(n, 48)) @ basis + 0.3 * rng.normal(size=(n, dim))
    out = out.astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


_BASIS: dict[int, np.ndarray] = {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--data", choices=("embedding", "random"), default="embedding")
    parser.add_argument("--ef-search", type=int, nargs="+", default=[0],
                        help="HNSW ef_search values to compare (0: the planner's default)")  # fmt: skip
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    colors = [c for c, share in SHARES.items() for _ in range(int(args.rows * share))]
    colors += ["Black"] * (args.rows - len(colors))
    rng.shuffle(colors)
    vectors = _vectors(rng, args.rows, args.dim, args.data)
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
            print(f"\n== {args.rows} x {args.dim} ({args.data}): embeddings loaded in "
                  f"{loaded:.1f}s, item_vectors built (2 HNSW indexes) in {built:.1f}s")  # fmt: skip
            for ef in args.ef_search:
                _queries(conn, args, rng, vectors, np.array(colors), ef)
    finally:
        stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


def _queries(conn, args, rng, vectors: np.ndarray, colors: np.ndarray, ef: int) -> None:
    print(f"\nef_search {ef or 'default'}")
    print(f"{'filter':>8} {'plan':>6} {'rows':>5} {'recall':>7} {'p50 ms':>7} {'p99 ms':>7} | "
          f"default plan: {'rows':>5} {'recall':>7}")  # fmt: skip
    for color in (None, *SHARES):
        idx = np.flatnonzero(np.ones(len(colors), bool) if color is None else colors == color)
        rec, lat, rows, plans, d_rows, d_rec = [], [], [], set(), [], []
        for _ in range(args.queries):
            q = _vectors(rng, 1, args.dim, args.data)[0]
            truth = {f"v:{i:07d}" for i in idx[np.argsort(-(vectors[idx] @ q))[:10]]}
            start = time.perf_counter()
            hits, plan, _ = search(conn, q, 10, {"color": [color]} if color else None,
                                ef_search=ef or None)  # fmt: skip
            lat.append(time.perf_counter() - start)
            plans.add(plan)
            rows.append(len(hits))
            rec.append(len(truth & {h.item_id for h in hits}) / len(truth))
            default = _default_plan(conn, q, 10, color)
            d_rows.append(len(default))
            d_rec.append(len(truth & set(default)) / len(truth))
        label = "none" if color is None else f"{SHARES[color]:.1%}"
        print(f"{label:>8} {'/'.join(sorted(plans)):>6} {np.mean(rows):5.1f} {np.mean(rec):7.3f} "
              f"{np.percentile(lat, 50) * 1e3:7.1f} {np.percentile(lat, 99) * 1e3:7.1f} | "
              f"{np.mean(d_rows):19.1f} {np.mean(d_rec):7.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
