"""Text search in three modes: vector (CLIP), lexical (BM25) and hybrid (both, fused).

Query understanding turns vocabulary words into filters first (unless switched off or a field
is ignored); filters given by the caller win over understood ones for the same field. Hybrid
fuses the two candidate lists by a convex combination of their min-max normalised scores
(Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", 2023), weighted by
`lexical_weight`. Reciprocal rank fusion was measured too: it ignores how far apart scores
are, so a title match BM25 is sure of loses to items both lists rank middling (paraphrased
title queries, nDCG@10 0.67 against 0.97 on the demo shop).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import psycopg

from fashion_assets.db.vectors import (
    FILTER_COLUMNS,
    Hit,
    Ranked,
    default_ef_search,
    hits_by_id,
    lexical_rows,
    live_stamp,
    search,
)
from fashion_assets.search.lexical import LexicalIndex
from fashion_assets.search.understand import Understood, as_filters, understand

MODES = ("vector", "lexical", "hybrid")
#: The lexical side's share of a hybrid score (bench/search_quality.py: reciprocal rank fusion
#: and equal weights let a weak vector ranking bury exact title matches).
LEXICAL_WEIGHT = 0.8
#: How many items each ranking hands to the fusion (the vector side searches them with the
#: HNSW candidate list of the final k, so fusing costs no wider graph walk).
CANDIDATES = 50
_BM25 = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")
#: Understood fields given up, in this order, while no item matches them all.
RELAX_ORDER = ("season", "color", "age_group", "gender", "category_specification", "category")


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits, the plan that found them, the model version of the vectors searched (None
    in lexical mode or before any are built), and what the query was understood to mean."""

    hits: list[Hit]
    plan: str
    model_version: str | None = None
    understood: list[Understood] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    relaxed: list[str] = field(default_factory=list)


class LexicalIndexCache:
    """The lexical index of the live `item_vectors` table, rebuilt when the table changes
    (a new model swapped in, or rows updated in place)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple = ()
        self._index = LexicalIndex([], FILTER_COLUMNS)

    def get(self, conn: psycopg.Connection) -> LexicalIndex:
        """The index for the table as it is now."""
        stamp = live_stamp(conn)  # read before the rows: a swap in between rebuilds once more
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                self._index = LexicalIndex(lexical_rows(conn) if stamp else [], FILTER_COLUMNS)
            return self._index


def convex(vector: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]],
           lexical_weight: float) -> list[str]:  # fmt: skip
    """Convex combination of min-max normalised scores (higher is better in both lists); an
    item missing from a list scores 0 there. Ties keep vector order, then lexical order."""

    def normalised(pairs: Sequence[tuple[str, float]]) -> dict[str, float]:
        if not pairs:
            return {}
        values = [v for _, v in pairs]
        low, span = min(values), (max(values) - min(values)) or 1.0
        return {i: (v - low) / span for i, v in pairs}

    vec, lex = normalised(vector), normalised(lexical)
    order = {i: n for n, i in enumerate([*(i for i, _ in vector), *(i for i, _ in lexical)])}
    scores = {i: (1 - lexical_weight) * vec.get(i, 0.0) + lexical_weight * lex.get(i, 0.0)
              for i in order}  # fmt: skip
    return sorted(scores, key=lambda i: (-scores[i], order[i]))


def text_search(
    conn: psycopg.Connection,
    lexical: LexicalIndexCache,
    text: str,
    encode: Callable[[str], np.ndarray],
    *,
    k: int = 10,
    mode: str = "hybrid",
    filters: Mapping[str, Sequence[str]] | None = None,
    against: str = "image",
    understand_query: bool = True,
    ignore: Collection[str] = (),
    lexical_weight: float = LEXICAL_WEIGHT,
) -> SearchResult:
    """The k best items for a text query. `encode` turns the text into a CLIP vector (not
    called in lexical mode); `ignore` names understood fields to leave out. When no item
    matches every understood filter, they are given up one by one (`RELAX_ORDER`) and the
    result says which (`relaxed`): a shopper gets the nearest items, not an empty page."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    understood = understand(text) if understand_query else []
    query = None if mode == "lexical" else encode(text)
    wanted = as_filters(understood, ignore)
    relaxed: list[str] = []
    while True:
        applied = {**wanted, **(filters or {})}
        hits, plan, version = _ranked(conn, lexical, text, query, k, mode, applied, against,
                                      lexical_weight)  # fmt: skip
        droppable = [f for f in RELAX_ORDER if f in wanted and f not in (filters or {})]
        if hits or not droppable:
            return SearchResult(hits, plan, version, understood, applied, relaxed)
        relaxed.append(droppable[0])
        del wanted[droppable[0]]


def _ranked(conn, lexical, text, query, k, mode, applied, against, lexical_weight) -> Ranked:
    scoring = None
    if mode != "vector":  # BM25 scores in a thread while PostgreSQL walks the vectors
        scoring = _BM25.submit(lexical.get(conn).search, text, max(k, CANDIDATES), applied)
    vector = Ranked([], "lexical", None)
    if query is not None:
        wanted = k if mode == "vector" else max(k, CANDIDATES)
        vector = search(conn, query, k=wanted, filters=applied, against=against,
                        ef_search=default_ef_search(k))  # fmt: skip
    if scoring is None or (query is not None and vector.model_version is None):
        return vector  # vector mode, or no vectors built yet
    vector_hits, plan, version = vector
    lexical_hits = scoring.result()
    lexical_ids = [h.item_id for h in lexical_hits]
    if mode == "lexical":
        return Ranked(hits_by_id(conn, lexical_ids[:k], None, against), plan, version)
    fused = convex(
        [(h.item_id, -h.distance) for h in vector_hits],
        [(h.item_id, h.score) for h in lexical_hits],
        lexical_weight,
    )[:k]
    known = {h.item_id: h for h in vector_hits}
    missing = [i for i in fused if i not in known]
    known |= {h.item_id: h for h in hits_by_id(conn, missing, query, against)}
    return Ranked([known[i] for i in fused if i in known], f"hybrid({plan}+lexical)", version)
