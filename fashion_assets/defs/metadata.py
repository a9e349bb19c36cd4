"""Metadata helpers shared by the assets: markdown tables and value counts."""

from collections import Counter
from collections.abc import Mapping

import dagster as dg
import pandas as pd


def md_table(frame: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """The first `rows` rows of a frame as a markdown table (what the UI shows as a sample)."""
    return dg.MetadataValue.md(
        frame.head(rows).to_markdown(index=False) if len(frame) else "_none_"
    )


def value_counts(values: pd.Series) -> dg.MetadataValue:
    """Counts of each value, as JSON."""
    return dg.MetadataValue.json(dict(Counter(values.astype(str))))


def counts_table(counts: Mapping[str, Counter[str]]) -> dg.MetadataValue:
    """Nested counts (row -> column -> n) as a markdown table, rows and columns sorted."""
    if not counts:
        return dg.MetadataValue.md("_none_")
    frame = pd.DataFrame({row: dict(c) for row, c in counts.items()}).T.fillna(0).astype(int)
    frame = frame.sort_index()[sorted(frame.columns)]
    return dg.MetadataValue.md(frame.to_markdown())
