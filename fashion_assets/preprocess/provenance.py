"""Where the values of records and items came from, counted for asset metadata."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any


def stated_by(records: Iterable[Mapping[str, Any]]) -> dict[str, Counter[str]]:
    """For each field, how many records had a value for it from each source (identity fields:
    the source their value was taken from)."""
    counts: dict[str, Counter[str]] = {}
    for record in records:
        for name, candidates in (record.get("fields") or {}).items():
            for source in {c[0] for c in candidates}:
                counts.setdefault(name, Counter())[source] += 1
        for name, source in (record.get("provenance") or {}).items():
            counts.setdefault(name, Counter())[source] += 1
    return counts


def chosen_by(items: Iterable[Mapping[str, Any]]) -> dict[str, Counter[str]]:
    """For each field, how many items took their value from each source."""
    counts: dict[str, Counter[str]] = {}
    for item in items:
        for name, source in (item.get("provenance") or {}).items():
            counts.setdefault(name, Counter())[source] += 1
    return counts


def warning_kinds(items: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """Warnings of kept items by the field (or note) they are about."""
    return Counter(w.split(" ", 1)[0] for item in items for w in item.get("warnings") or [])
