"""Data checks behind the ingest asset checks: each returns the offending rows, described."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from fashion_assets.catalog import Item
from fashion_assets.preprocess.clean import REJECT_REASONS

_ITEM_FIELDS = set(Item.model_fields)


def vocabulary_violations(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Rows whose attributes do not validate as an `Item` (vocabulary, scope, consistency)."""
    bad = []
    for row in rows:
        try:
            Item.model_validate({k: v for k, v in row.items() if k in _ITEM_FIELDS})
        except ValidationError as exc:
            bad.append(f"{row.get('item_id')}: {exc.errors()[0]['msg']}")
    return bad


def duplicate_ids(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Item ids that occur more than once."""
    counts = Counter(row["item_id"] for row in rows)
    return sorted(i for i, n in counts.items() if n > 1)


def unknown_reasons(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Reject reasons outside `REJECT_REASONS`."""
    return sorted({row["reason"] for row in rows} - set(REJECT_REASONS))
