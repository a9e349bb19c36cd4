"""Search quality and latency per mode: vector (CLIP alone, as before query understanding),
vector with understanding, lexical (BM25) and hybrid (both fused), per query language.

    .venv/bin/python bench/search_quality.py                  # the configured catalogue
    FASHION_HOME=/tmp/kaggle-home .venv/bin/python bench/search_quality.py
    .venv/bin/python bench/search_quality.py --scale 100000   # latency at 100,000 items

Quality runs on the catalogue the environment names (FASHION_HOME / DATABASE_URL) after the
pipeline has filled it: `make demo` for the demo shop; for a Kaggle-layout folder the same
with FASHION_CRAWL_SOURCE=catalog_folder FASHION_CATALOG_FOLDER=<folder>. The query set is
built from the catalogue itself:
- attribute queries from the vocabulary in Korean and English ("블랙 겨울 코트", "women's
  coat"): relevant items are those with every attribute named; P@10 and nDCG@10.
- paraphrased titles (shop tags and brackets dropped, words reordered, one word left out):
  the item itself is the relevant one; hit@10 and nDCG@10.
`--scale N` measures latency only, on a temporary embedded PostgreSQL with N demo-shop items
and synthetic 512-d vectors (the planner's HNSW/exact paths as in production).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from fashion_assets.catalog.words import is_hangul, tokens
from fashion_assets.db.items import item_rows
from fashion_assets.embed.finetune import attribute_queries
from fashion_assets.search.hybrid import LexicalIndexCache, text_search

#: Mode name -> (text_search mode, understanding on).
MODES = {"vector (raw)": ("vector", False), "vector": ("vector", True),
         "lexical": ("lexical", True), "hybrid": ("hybrid", True)}  # fmt: skip
_TAGS = re.compile(r"\[[^\]]*\]|\([^)]*\)|_신상|1\+1|\(\d+color\)")


def paraphrase(title: str, rng: random.Random) -> str:
    """A shopper's version of a title: tags dropped, words reordered, one word left out."""
    words = _TAGS.sub(" ", title).split()
    rng.shuffle(words)
    if len(words) > 3:
        words.pop(rng.randrange(len(words)))
    return " ".join(words)


def language(text: str) -> str:
    """'ko' when the text has Hangul, else 'en'."""
    return "ko" if any(is_hangul(t) for t in tokens(text)) else "en"


def query_set(rows: list[dict], attribute_limit: int, titles: int) -> list[tuple]:
    """(kind, language, query, relevant item ids) for attribute and title queries."""
    ids = [r["item_id"] for r in rows]
    found = [("attributes", lang, q, frozenset(ids[i] for i in rel))
             for lang, q, rel in attribute_queries(rows, attribute_limit)]  # fmt: skip
    rng = random.Random(0)
    for row in rng.sample(rows, min(titles, len(rows))):
        query = paraphrase(str(row["title"]), rng)
        found.append(("title", language(query), query, frozenset({row["item_id"]})))
    return found


def ndcg10(ranked: list[str], relevant: frozenset[str]) -> float:
    """Binary-relevance nDCG@10."""
    gain = sum(1 / np.log2(i + 2) for i, r in enumerate(ranked[:10]) if r in relevant)
    ideal = sum(1 / np.log2(i + 2) for i in range(min(10, len(relevant))))
    return gain / ideal


def quality(args: argparse.Namespace) -> None:
    """The per-mode table on the configured catalogue."""
    from fashion_assets.defs.resources import build_resources
    from fashion_assets.settings import Settings

    resources = build_resources(Settings())
    encoder = resources["clip"].encoder()
    with resources["postgres"].connect() as conn:
        rows = item_rows(conn, ("item_id", "title", "category", "color", "season", "gender",
                                "age_group"))  # fmt: skip
        queries = query_set(rows, args.attribute_queries, args.title_queries)
        print(f"{len(rows)} items, CLIP {encoder.version}; {len(queries)} queries")
        lexical = LexicalIndexCache()
        lexical.get(conn)  # built once, outside the timings

        def encode(text: str) -> np.ndarray:
            return encoder.encode_texts([text])[0]

        scores: dict[tuple, list[float]] = defaultdict(list)
        for name, (mode, understand) in MODES.items():
            for kind, lang, query, relevant in queries:
                started = time.perf_counter()
                found = text_search(conn, lexical, query, encode, k=10, mode=mode,
                                    understand_query=understand)  # fmt: skip
                scores[(name, kind, lang, "ms")].append(1000 * (time.perf_counter() - started))
                ranked = [h.item_id for h in found.hits]
                top = len(relevant.intersection(ranked[:10]))
                scores[(name, kind, lang, "p10")].append(top / 10)
                scores[(name, kind, lang, "hit10")].append(float(top > 0))
                scores[(name, kind, lang, "ndcg10")].append(ndcg10(ranked, relevant))
    print(f"\n{'mode':<14}{'queries':<12}{'lang':<6}{'n':>5}{'P@10':>8}{'hit@10':>8}"
          f"{'nDCG@10':>9}{'p50 ms':>9}")  # fmt: skip
    for name in MODES:
        for kind in ("attributes", "title"):
            for lang in ("ko", "en"):
                if not scores[(name, kind, lang, "ms")]:
                    continue
                value = {m: statistics.mean(scores[(name, kind, lang, m)])
                         for m in ("p10", "hit10", "ndcg10")}  # fmt: skip
                print(f"{name:<14}{kind:<12}{lang:<6}{len(scores[(name, kind, lang, 'ms')]):>5}"
                      f"{value['p10']:>8.3f}{value['hit10']:>8.3f}{value['ndcg10']:>9.3f}"
                      f"{statistics.median(scores[(name, kind, lang, 'ms')]):>9.1f}")  # fmt: skip


def latency(args: argparse.Namespace) -> None:
    """p50/p90 per mode on N items with synthetic vectors."""
    from fashion_assets.crawl.demo_catalog import demo_item_rows
    from fashion_assets.db.items import upsert_items
    from fashion_assets.db.schema import migrate
    from fashion_assets.db.server import connect, embedded_database_url, stop_embedded
    from fashion_assets.db.vectors import publish, save_embeddings, vector_conn

    rng = np.random.default_rng(0)
    rows = demo_item_rows(args.scale)
    items = [{**r, "item_id": f"s:{i:07d}", "source": "s", "sku": str(i), "url": "u",
              "reinforced": {}, "image_url": "x", "image_sha256": "0" * 64,
              "content_hash": f"h{i}"} for i, r in enumerate(rows)]  # fmt: skip
    basis = rng.normal(size=(48, args.dim))
    vectors = (rng.normal(size=(len(items), 48)) @ basis
               + 0.3 * rng.normal(size=(len(items), args.dim))).astype(np.float32)  # fmt: skip
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    home = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        with connect(embedded_database_url(home)) as conn:
            migrate(conn)
            vector_conn(conn)
            upsert_items(conn, items, "p")
            save_embeddings(conn, "bench", items, vectors, vectors)
            started = time.perf_counter()
            publish(conn, "bench", args.dim, build_memory="2GB")
            print(f"{len(items)} items x {args.dim}: item_vectors built in "
                  f"{time.perf_counter() - started:.0f}s")  # fmt: skip
            queries = [q for _, _, q, _ in query_set(rows, 100, 100)]
            lexical = LexicalIndexCache()
            started = time.perf_counter()
            lexical.get(conn)
            print(f"lexical index built in {time.perf_counter() - started:.1f}s (once per table "
                  "version, in the service process)")  # fmt: skip
            query_vectors = {q: v for q, v in zip(queries, vectors[rng.integers(0, len(items),
                                                                    len(queries))], strict=True)}  # fmt: skip
            timings: dict[str, list[float]] = defaultdict(list)
            for _ in range(2):  # the first pass warms caches; the second is measured
                timings.clear()
                for name, (mode, understand) in MODES.items():
                    for query in queries:
                        started = time.perf_counter()
                        text_search(conn, lexical, query, query_vectors.__getitem__, k=10,
                                    mode=mode, understand_query=understand)  # fmt: skip
                        timings[name].append(1000 * (time.perf_counter() - started))
            base = statistics.median(timings["vector"])
            print(f"\n{'mode':<14}{'p50 ms':>8}{'p90 ms':>8}{'p50 / vector':>14}")
            for name, values in timings.items():
                p50, p90 = statistics.median(values), float(np.percentile(values, 90))
                print(f"{name:<14}{p50:>8.1f}{p90:>8.1f}{p50 / base:>14.2f}")
    finally:
        stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attribute-queries", type=int, default=150, help="per language")
    parser.add_argument("--title-queries", type=int, default=200)
    parser.add_argument("--scale", type=int, default=0, help="latency only, at this many items")
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args()
    latency(args) if args.scale else quality(args)


if __name__ == "__main__":
    main()
