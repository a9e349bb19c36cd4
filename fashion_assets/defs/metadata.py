"""Metadata helpers shared by the assets: markdown tables and value counts."""

from collections import Counter

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
