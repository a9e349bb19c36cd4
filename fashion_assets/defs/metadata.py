"""Metadata helpers shared by the assets: the standard table keys the UI understands, markdown
tables and value counts."""

from collections import Counter
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd
import psycopg
from psycopg import sql


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


def frame_metadata(frame: pd.DataFrame) -> dict[str, Any]:
    """`dagster/row_count` and `dagster/column_schema` (pandas dtypes) of a stored frame."""
    columns = [dg.TableColumn(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }


def pg_table_metadata(conn: psycopg.Connection, table: str) -> dict[str, Any]:
    """`dagster/row_count`, `dagster/column_schema` (SQL types, nullability) and
    `dagster/table_name` of a PostgreSQL table, read from the database."""
    described = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull"
        " FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0"
        " AND NOT a.attisdropped ORDER BY a.attnum",
        (table,),
    ).fetchall()
    rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    columns = [
        dg.TableColumn(name, kind, constraints=dg.TableColumnConstraints(nullable=nullable))
        for name, kind, nullable in described
    ]
    return {
        "dagster/row_count": rows.fetchone()[0],
        "dagster/column_schema": dg.TableSchema(columns=columns),
        "dagster/table_name": table,
    }
