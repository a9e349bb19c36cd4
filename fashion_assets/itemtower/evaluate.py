"""Evaluation on held-out items, for the tower (h and z) and the TF-IDF baselines alike.

Every embedding is judged by the same metrics on the same items and the same views:
- neighbour precision@10 of every label the catalogue has (category, category_specification,
  gender, colour, season, age group when items differ in it; fibre overlap: the share of
  neighbours sharing a fibre) for each held-out item among the catalogue (held-out and training
  items): what "similar items" gets right;
- the same precision for gender, colour and season with the query item's own token of that
  label hidden (`<label>_missing_p@10`): what it gets right for a page that lacks the label,
  from the title and the rest of the item;
- view retrieval over the whole held-out pool: MRR (and Recall@1/@10) of one augmented view of
  an item among the other views of all held-out items;
- alignment (mean squared distance of positive pairs, lower is better) and uniformity (log of
  the mean Gaussian potential over all pairs, lower is better), Wang & Isola 2020;
- probes on category with the category tokens hidden: kNN (k=10) and linear (logistic regression
  fitted on training items). "h against z" compares these.
`score` is the mean of the gate keys (config.GATE_KEYS: the four gate labels' precision@10,
the three missing-label precisions and the MRR). Baselines: TF-IDF over attribute tokens, over
title tokens, and over both. How far any model could lead a baseline on the plain labels is
headroom.py's question.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

from .config import BASELINES, GATE_KEYS, GATE_LABELS, TowerConfig
from .dataset import View, collate_views, hide, make_view, plain_view
from .headroom import label_headroom
from .model import ProjectionHead, TowerBody, serve
from .tokens import ATTRIBUTE_IDS, MASK, MISSABLE_IDS, ItemTokens, field_ids
from .train import tokenize_rows

Row = Mapping[str, Any]
Encoder = Callable[[Sequence[View]], np.ndarray]
LABELS = ("category", "category_specification", "gender", "color", "season", "age_group")
_EVAL_SEED = 20261123


@dataclass(frozen=True)
class EvalSet:
    """Held-out rows and the fixed views every model is scored on."""

    rows: list[Row]
    probe_rows: list[Row]  # training items the linear probe is fitted on
    view_seed: int = _EVAL_SEED


def _views(
    items: Sequence[ItemTokens], config: TowerConfig, seed: int
) -> tuple[list[View], list[View]]:
    first, second = [], []
    for item in items:
        rng = random.Random(f"{seed}:{item.item_id}")
        first.append(make_view(item, config.attr_dropout, config.title_mask, rng))
        second.append(make_view(item, config.attr_dropout, config.title_mask, rng))
    return first, second


_CATEGORY_IDS = field_ids(("category", "category_specification"))


def hide_category(view: View) -> View:
    """The view with its category and category_specification tokens masked."""
    return hide(view, _CATEGORY_IDS)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def _fibres(row: Row) -> frozenset[str]:
    value = row.get("fiber_composition")
    return frozenset(str(v) for v in value) if value is not None else frozenset()


def _neighbours(queries: np.ndarray, gallery: np.ndarray, k: int) -> np.ndarray:
    """The k nearest gallery rows of each query, query i being gallery row i (left out)."""
    n = len(queries)
    gram = queries @ gallery.T
    gram[np.arange(n), np.arange(n)] = -np.inf
    return np.argsort(-gram, axis=1)[:, : min(k, len(gallery) - 1)]


def _label_values(rows: Sequence[Row], label: str) -> np.ndarray:
    return np.array([str(r.get(label, "adult" if label == "age_group" else "")) for r in rows])


def missing_precision(
    hidden: Mapping[str, np.ndarray], gallery: np.ndarray, rows: Sequence[Row], k: int = 10
) -> dict[str, float]:
    """Precision@k of each label among the neighbours of query items whose own token of that
    label was hidden (`hidden[label]`: the queries so encoded; the gallery as served): does an
    item whose page lacks its colour still get neighbours of its colour, from its title and
    the rest of what it states?"""
    out = {}
    for label, queries in hidden.items():
        values = _label_values(rows, label)
        neighbours = _neighbours(queries, gallery, k)
        out[f"{label}_missing_p@10"] = float(
            (values[neighbours] == values[: len(queries), None]).mean()
        )
    return out


def neighbour_precision(
    queries: np.ndarray, gallery: np.ndarray, rows: Sequence[Row], k: int = 10
) -> dict[str, float]:
    """Precision@k of every label among each query item's k nearest catalogue items, and the
    share of those neighbours that share a fibre (labels every item has in common are left
    out). Query i is gallery row i (`rows` holds the gallery, queries first), as "similar
    items" searches the whole catalogue for a held-out item."""
    n = len(queries)
    neighbours = _neighbours(queries, gallery, k)
    out = {}
    for label in LABELS:
        values = _label_values(rows, label)
        if label in GATE_LABELS or len(set(values)) > 1:
            out[f"{label}_p@10"] = float((values[neighbours] == values[:n, None]).mean())
    fibres = [_fibres(r) for r in rows]
    if any(fibres[:n]):
        shared = [[bool(fibres[i] & fibres[j]) for j in row] for i, row in enumerate(neighbours)
                  if fibres[i]]  # fmt: skip
        out["fiber_overlap@10"] = float(np.mean(shared))
    return out


def embedding_metrics(
    view1: np.ndarray, view2: np.ndarray, plain: np.ndarray, hidden: np.ndarray,
    probe_train: np.ndarray, rows: Sequence[Row], probe_rows: Sequence[Row],
    probe_plain: np.ndarray | None = None, *, missing: Mapping[str, np.ndarray],
) -> dict[str, float]:  # fmt: skip
    """All metrics of one embedding of the evaluation set (rows of each array = `rows`;
    `probe_plain`, the training items as served, joins the held-out items in the gallery of
    the neighbour precision; `missing`: per MISSABLE label, the held-out items with that
    label's token hidden)."""
    view1, view2, plain = _normalise(view1), _normalise(view2), _normalise(plain)
    hidden, probe_train = _normalise(hidden), _normalise(probe_train)
    gallery, gallery_rows = plain, list(rows)
    if probe_plain is not None:
        gallery = np.concatenate([plain, _normalise(probe_plain)])
        gallery_rows += list(probe_rows)
    sims = view1 @ view2.T
    rank = (sims > np.diag(sims)[:, None]).sum(1)
    n = len(rows)
    pair_d2 = ((view1 - view2) ** 2).sum(1)
    gram = plain @ plain.T
    upper = np.triu_indices(n, 1)
    dist2 = np.clip(2 - 2 * gram[upper], 0, None)
    category = np.array([r["category"] for r in rows])
    out = {
        "mrr": float((1.0 / (rank + 1)).mean()),
        "recall@1": float((rank < 1).mean()),
        "recall@10": float((rank < 10).mean()),
        **neighbour_precision(plain, gallery, gallery_rows),
        **missing_precision({k: _normalise(v) for k, v in missing.items()}, gallery, gallery_rows),
        "alignment": float(pair_d2.mean()),
        "uniformity": float(np.log(np.exp(-2 * dist2).mean())),
        **_probes(hidden, probe_train, category, np.array([r["category"] for r in probe_rows])),
    }
    out["score"] = aggregate(out)
    return out


def aggregate(metrics: Mapping[str, float]) -> float:
    """The score: the mean of the GATE_KEYS (neighbour precision@10 of the gate labels, with
    and without a missable label, and the view-retrieval MRR)."""
    return float(np.mean([metrics[key] for key in GATE_KEYS]))


def _probes(hidden: np.ndarray, train: np.ndarray, labels: np.ndarray,
            train_labels: np.ndarray) -> dict[str, float]:  # fmt: skip
    gram = hidden @ hidden.T
    np.fill_diagonal(gram, -np.inf)
    k = min(10, len(labels) - 1)
    votes = labels[np.argsort(-gram, axis=1)[:, :k]]
    # majority of the k nearest; ties go to the nearer neighbour (Counter keeps first-seen order)
    knn = [Counter(v).most_common(1)[0][0] == label for v, label in zip(votes, labels, strict=True)]
    out = {"knn_probe_category": float(np.mean(knn))}
    if len(set(train_labels)) > 1:
        linear = LogisticRegression(max_iter=2000).fit(train, train_labels)
        out["linear_probe_category"] = float(linear.score(hidden, labels))
    return out


def _tower_encoder(body: TowerBody, norm: torch.nn.Module, head: ProjectionHead | None,
                   device: str, batch_size: int = 512) -> Encoder:  # fmt: skip
    def encode(views: Sequence[View]) -> np.ndarray:
        out = []
        for start in range(0, len(views), batch_size):
            batch = collate_views(views[start : start + batch_size]).to(device)
            if head is None:
                out.append(serve(body, norm, batch).cpu().numpy())
            else:
                head.eval()
                with torch.no_grad():
                    out.append(head(norm(body(batch))).cpu().numpy())
        return np.concatenate(out)

    return encode


def score_views(encode: Encoder, items: Sequence[ItemTokens], probe_items: Sequence[ItemTokens],
                eval_set: EvalSet, config: TowerConfig) -> dict[str, float]:  # fmt: skip
    """Encode the evaluation views with `encode` and compute every metric."""
    first, second = _views(items, config, eval_set.view_seed)
    return embedding_metrics(
        encode(first), encode(second), encode([plain_view(i) for i in items]),
        encode([hide_category(plain_view(i)) for i in items]),
        encode([hide_category(plain_view(i)) for i in probe_items]),
        eval_set.rows, eval_set.probe_rows, encode([plain_view(i) for i in probe_items]),
        missing={label: encode([hide(plain_view(i), ids) for i in items])
                 for label, ids in MISSABLE_IDS.items()},
    )  # fmt: skip


def evaluate_tower(body: TowerBody, norm: torch.nn.Module, head: ProjectionHead | None, tokenizer: Tokenizer,
                   config: TowerConfig, eval_set: EvalSet, device: str = "cpu") -> dict[str, dict[str, float]]:  # fmt: skip
    """Metrics of h (what is served) and, when the head is given, of z."""
    items = tokenize_rows(eval_set.rows, tokenizer, config)
    probe = tokenize_rows(eval_set.probe_rows, tokenizer, config)
    out = {
        "h": score_views(_tower_encoder(body, norm, None, device), items, probe, eval_set, config)
    }
    if head is not None:
        out["z"] = score_views(
            _tower_encoder(body, norm, head, device), items, probe, eval_set, config
        )
    return out


def evaluate_tfidf(
    tokenizer: Tokenizer, config: TowerConfig, eval_set: EvalSet,
    parts: Sequence[str] = ("attributes", "title"),
) -> dict[str, float]:  # fmt: skip
    """A baseline: TF-IDF over attribute tokens, title tokens or both, fitted on the probe
    (training) items, scored on the same views as the tower."""
    names = {i: t for t, i in ATTRIBUTE_IDS.items()}

    def words(view: View) -> list[str]:
        std, re_, title = view
        attrs = [names[t] for t in (*std, *re_) if t != MASK] if "attributes" in parts else []
        titles = [f"title:{tokenizer.id_to_token(t)}" for t in title if t != MASK]
        return attrs + (titles if "title" in parts else []) or ["[EMPTY]"]

    probe = tokenize_rows(eval_set.probe_rows, tokenizer, config)
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True)
    vectorizer.fit([words(plain_view(i)) for i in probe])

    def encode(views: Sequence[View]) -> np.ndarray:
        return vectorizer.transform([words(v) for v in views]).toarray().astype(np.float32)

    items = tokenize_rows(eval_set.rows, tokenizer, config)
    return score_views(encode, items, probe, eval_set, config)


def evaluate_baselines(
    tokenizer: Tokenizer, config: TowerConfig, eval_set: EvalSet
) -> dict[str, dict[str, float]]:
    """Every TF-IDF baseline, by name."""
    return {name: evaluate_tfidf(tokenizer, config, eval_set, parts)
            for name, parts in BASELINES.items()}  # fmt: skip


def baseline_headroom(
    results: Mapping[str, Mapping[str, float]], eval_set: EvalSet
) -> dict[str, float]:
    """Per TF-IDF baseline in `results`: how far any model could lead it on every gate label
    at once, over the evaluation's gallery (headroom.label_headroom)."""
    gallery = [*eval_set.rows, *eval_set.probe_rows]
    return {name: label_headroom(gallery, len(eval_set.rows), results[name], GATE_LABELS)
            for name in BASELINES if name in results}  # fmt: skip


def metrics_table(results: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """Rows of metric -> value per model, for a markdown table (a metric a model lacks: None)."""
    names = list(dict.fromkeys(m for v in results.values() for m in v))
    return [
        {"metric": m, **{model: round(v[m], 4) if m in v else None for model, v in results.items()}}
        for m in names
    ]
