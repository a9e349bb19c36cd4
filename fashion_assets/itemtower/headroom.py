"""How far any embedding could lead a reference on every label at once.

Neighbour precision@k of a label depends only on which labels each chosen neighbour shares
with its query. So the best any model could do is a choice of k neighbours per query from the
catalogue's own labels. This module bounds, by a linear programme over those choices, the
largest margin t such that some choice reaches `reference[label] + t` on every label at once.
When the attribute tokens a TF-IDF baseline reads are the labels themselves (a catalogue
whose only attributes are category, gender, colour and season), that baseline sits close to
this frontier: a bound near zero says "no model can beat it on all of them", and the
comparison worth making is elsewhere (missing labels, MRR).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

Row = Mapping[str, Any]


def label_headroom(
    rows: Sequence[Row], queries: int, reference: Mapping[str, float], labels: Sequence[str],
    k: int = 10,
) -> float:  # fmt: skip
    """An upper bound on min over `labels` of (precision@k - reference[f"{label}_p@10"]) for
    any choice of k neighbours of each of the first `queries` rows among all `rows` (the
    evaluation's gallery, queries first). Positive: there is room to lead on every label;
    zero or below: no embedding leads on all of them."""
    if not 0 < queries <= len(rows) or len(rows) < 2:
        raise ValueError(f"need 1..{len(rows)} queries among at least 2 rows, got {queries}")
    k = min(k, len(rows) - 1)
    values = [np.array([str(r.get(label)) for r in rows]) for label in labels]
    n_patterns = 2 ** len(labels)
    # capacity[q, p]: how many catalogue items share with query q exactly the labels of pattern p
    capacity = np.zeros((queries, n_patterns))
    bits = 2 ** np.arange(len(labels))
    for q in range(queries):
        same = np.stack([v == v[q] for v in values], axis=1)
        same[q] = False  # the query is not its own neighbour
        codes = same.astype(int) @ bits
        codes[q] = -1
        capacity[q] = np.bincount(codes[codes >= 0], minlength=n_patterns)
    shares = (np.arange(n_patterns)[:, None] & bits) > 0  # pattern x label
    n_vars = queries * n_patterns + 1  # x[q, p] (neighbours of pattern p for query q), then t
    # precision of each label: sum over x[q, p] with the label shared, / (k * queries) >= ref + t
    rows_ub, cols_ub, data_ub = [], [], []
    for li in range(len(labels)):
        for p in np.flatnonzero(shares[:, li]):
            cols = np.arange(queries) * n_patterns + p
            rows_ub += [li] * queries
            cols_ub += cols.tolist()
            data_ub += [-1.0 / (k * queries)] * queries
        rows_ub.append(li)
        cols_ub.append(n_vars - 1)
        data_ub.append(1.0)
    a_ub = csr_matrix((data_ub, (rows_ub, cols_ub)), shape=(len(labels), n_vars))
    b_ub = -np.array([reference[f"{label}_p@10"] for label in labels])
    eq_cols = np.arange(queries * n_patterns)
    a_eq = csr_matrix(
        (np.ones(len(eq_cols)), (eq_cols // n_patterns, eq_cols)), shape=(queries, n_vars)
    )
    bounds = [(0.0, float(c)) for c in capacity.ravel()] + [(-1.0, 1.0)]
    objective = np.zeros(n_vars)
    objective[-1] = -1.0  # maximise t
    result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.full(queries, k),
                     bounds=bounds, method="highs")  # fmt: skip
    if not result.success:
        raise RuntimeError(f"label headroom: the linear programme failed: {result.message}")
    return float(result.x[-1])
