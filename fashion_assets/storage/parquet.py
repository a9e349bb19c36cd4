"""DataFrames as parquet objects; dict-valued columns travel as JSON text and come back as dicts."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .object_store import ObjectStore

_JSON_META = b"fashion_assets.json_columns"


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as parquet, dict-valued columns stored as JSON text (noted in the file's metadata)."""
    frame = frame.copy()
    json_cols = [
        c
        for c in frame.columns
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, dict)).any()
    ]
    for col in json_cols:
        frame[col] = frame[col].map(
            lambda v: json.dumps(v, ensure_ascii=False) if v is not None else None
        )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {**(table.schema.metadata or {}), _JSON_META: json.dumps(json_cols).encode()}
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    return buf.getvalue()


def write_parquet(store: ObjectStore, key: str, frame: pd.DataFrame) -> None:
    """Write `frame` to `key` (atomically: a re-run replaces the object whole)."""
    store.put(key, parquet_bytes(frame), content_type="application/vnd.apache.parquet")


def read_parquet(store: ObjectStore, key: str) -> pd.DataFrame:
    """Read a parquet object written by `write_parquet`, restoring its JSON columns.

    Missing values come back as None (not NaN), so rows turned into dicts hold plain Python.
    """
    table = pq.read_table(io.BytesIO(store.get(key)))
    json_cols = json.loads((table.schema.metadata or {}).get(_JSON_META, b"[]"))
    frame = table.to_pandas()
    frame = frame.astype(object).where(frame.notna(), None)
    for col in json_cols:
        frame[col] = frame[col].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    return frame
