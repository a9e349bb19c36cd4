"""Evaluation on held-out items, for the tower (h and z) and a TF-IDF baseline alike.

Every embedding is judged by the same metrics:
- view retrieval: Recall@1/@10 of one augmented view against all other items' second views;
- alignment (mean squared distance of positive pairs, lower is better) and uniformity
  (log of the mean Gaussian potential over all pairs, lower is better), Wang & Isola 2020;
- neighbour attribute consistency: precision@10 of category and season among nearest items;
- probes on category, with the category tokens hidden from the input so the probe must infer
  them: a kNN probe (k=10, leave-one-out) and a linear probe (logistic regression trained on
  training items). "h against z" compares these.
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

from .config import TowerConfig
from .dataset import View, collate_views, make_view, plain_view
from .model import ProjectionHead, TowerBody, serve
from .tokens import ATTRIBUTE_IDS, MASK, ItemTokens
from .train import tokenize_rows

Row = Mapping[str, Any]
Encoder = Callable[[Sequence[View]], np.ndarray]
#: The metric the champion/challenger gate compares by default (higher is better).
GATE_METRIC = "score"
_HIDDEN = {
    i for t, i in ATTRIBUTE_IDS.items() if t.split("=")[0] in ("category", "category_specification")
}
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


def hide_category(view: View) -> View:
    """The view with its category and category_specification tokens masked."""
    std, re_, title = view
    return tuple(MASK if t in _HIDDEN else t for t in std), re_, title


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def embedding_metrics(
    view1: np.ndarray, view2: np.ndarray, plain: np.ndarray, hidden: np.ndarray,
    probe_train: np.ndarray, rows: Sequence[Row], probe_rows: Sequence[Row],
) -> dict[str, float]:  # fmt: skip
    """All metrics of one embedding of the evaluation set (rows of each array = `rows`)."""
    view1, view2, plain = _normalise(view1), _normalise(view2), _normalise(plain)
    hidden, probe_train = _normalise(hidden), _normalise(probe_train)
    sims = view1 @ view2.T
    rank = (sims > np.diag(sims)[:, None]).sum(1)
    n = len(rows)
    pair_d2 = ((view1 - view2) ** 2).sum(1)
    gram = plain @ plain.T
    upper = np.triu_indices(n, 1)
    dist2 = np.clip(2 - 2 * gram[upper], 0, None)
    np.fill_diagonal(gram, -np.inf)
    k = min(10, n - 1)
    neighbours = np.argsort(-gram, axis=1)[:, :k]
    category = np.array([r["category"] for r in rows])
    season = np.array([r["season"] for r in rows])
    out = {
        "recall@1": float((rank < 1).mean()),
        "recall@10": float((rank < 10).mean()),
        "alignment": float(pair_d2.mean()),
        "uniformity": float(np.log(np.exp(-2 * dist2).mean())),
        "category_p@10": float((category[neighbours] == category[:, None]).mean()),
        "season_p@10": float((season[neighbours] == season[:, None]).mean()),
        **_probes(hidden, probe_train, category, np.array([r["category"] for r in probe_rows])),
    }
    out["score"] = float(np.mean([out["recall@10"], out["category_p@10"], out["season_p@10"]]))
    return out


def _probes(hidden: np.ndarray, train: np.ndarray, labels: np.ndarray,
            train_labels: np.ndarray) -> dict[str, float]:  # fmt: skip
    gram = hidden @ hidden.T
    np.fill_diagonal(gram, -np.inf)
    k = min(10, len(labels) - 1)
    votes = labels[np.argsort(-gram, axis=1)[:, :k]]
    # majority of the k nearest; ties go to the nearer neighbour (Counter keeps first-seen order)
    knn = [Counter(v).most_common(1)[0][0] == label for v, label in zip(votes, labels, strict=True)]
    linear = LogisticRegression(max_iter=2000).fit(train, train_labels)
    return {
        "knn_probe_category": float(np.mean(knn)),
        "linear_probe_category": float(linear.score(hidden, labels)),
    }


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
        eval_set.rows, eval_set.probe_rows,
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
    tokenizer: Tokenizer, config: TowerConfig, eval_set: EvalSet
) -> dict[str, float]:
    """The baseline: TF-IDF over title tokens + attribute tokens, fitted on the probe (training)
    items, scored on the same views as the tower."""
    names = {i: t for t, i in ATTRIBUTE_IDS.items()}

    def words(view: View) -> list[str]:
        std, re_, title = view
        attrs = [names[t] for t in (*std, *re_) if t != MASK]
        return attrs + [f"title:{tokenizer.id_to_token(t)}" for t in title if t != MASK]

    probe = tokenize_rows(eval_set.probe_rows, tokenizer, config)
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True)
    vectorizer.fit([words(plain_view(i)) for i in probe])

    def encode(views: Sequence[View]) -> np.ndarray:
        return vectorizer.transform([words(v) for v in views]).toarray().astype(np.float32)

    items = tokenize_rows(eval_set.rows, tokenizer, config)
    return score_views(encode, items, probe, eval_set, config)


def metrics_table(results: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """Rows of metric -> value per model, for a markdown table."""
    names = list(next(iter(results.values())))
    return [{"metric": m, **{model: round(v[m], 4) for model, v in results.items()}} for m in names]
