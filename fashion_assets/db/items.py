"""Writing the catalogue: idempotent upserts of items and per-partition reject records."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

ITEM_COLUMNS: tuple[str, ...] = (
    "item_id",
    "source",
    "sku",
    "url",
    "title",
    "brand",
    "price",
    "currency",
    "category",
    "category_specification",
    "gender",
    "age_group",
    "season",
    "color",
    "fiber_composition",
    "elasticity",
    "transparency",
    "isfleece",
    "specs",
    "reinforced",
    "image_url",
    "image_key",
    "image_sha256",
    "image_width",
    "image_height",
    "image_phash",
    "content_hash",
    "provenance",
    "warnings",
)
REJECT_COLUMNS: tuple[str, ...] = ("url", "reason", "source", "item_id", "detail")
_JSON = {"specs", "reinforced", "provenance"}
_UPDATABLE = [c for c in ITEM_COLUMNS if c != "item_id"]


@dataclass(frozen=True)
class UpsertCounts:
    """What an upsert did."""

    inserted: int
    updated: int
    unchanged: int


def _cell(column: str, value: object) -> object:
    if column == "age_group":  # rows cleaned before age groups existed are adults' items
        return value or "adult"
    if column in _JSON:
        return json.dumps(value if value is not None else {}, ensure_ascii=False)
    if column in ("fiber_composition", "warnings"):
        return list(value) if value is not None else []
    return value


def upsert_items(
    conn: psycopg.Connection, rows: Iterable[Mapping[str, object]], partition: str
) -> UpsertCounts:
    """Insert new items and update changed ones (by content hash), in one transaction.

    Re-running with the same rows changes nothing; `first_seen_partition` keeps the earliest
    partition an item was seen in and `updated_at` moves only when the content changed.
    """
    cols = ", ".join(ITEM_COLUMNS)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE incoming_items (LIKE items INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        seen_cols = f"{cols}, first_seen_partition, last_seen_partition"
        with cur.copy(f"COPY incoming_items ({seen_cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [*(_cell(c, row.get(c)) for c in ITEM_COLUMNS), partition, partition]
                )
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATABLE)
        cur.execute(
            f"""
            WITH before AS (
                SELECT i.item_id, i.content_hash FROM items i JOIN incoming_items n USING (item_id)
            ), up AS (
                INSERT INTO items ({cols}, first_seen_partition, last_seen_partition)
                SELECT {cols}, first_seen_partition, last_seen_partition FROM incoming_items
                ON CONFLICT (item_id) DO UPDATE SET {sets},
                    first_seen_partition = LEAST(items.first_seen_partition,
                                                 EXCLUDED.first_seen_partition),
                    last_seen_partition = GREATEST(items.last_seen_partition,
                                                   EXCLUDED.last_seen_partition),
                    updated_at = CASE WHEN items.content_hash = EXCLUDED.content_hash
                                      THEN items.updated_at ELSE now() END
                RETURNING item_id, content_hash
            )
            SELECT count(*) FILTER (WHERE b.item_id IS NULL),
                   count(*) FILTER (WHERE b.content_hash <> up.content_hash),
                   count(*) FILTER (WHERE b.content_hash = up.content_hash)
            FROM up LEFT JOIN before b USING (item_id)
            """
        )
        inserted, updated, unchanged = cur.fetchone()
    return UpsertCounts(inserted, updated, unchanged)


def replace_rejects(
    conn: psycopg.Connection, rows: Iterable[Mapping[str, object]], partition: str
) -> int:
    """Replace a partition's reject records with `rows` (one transaction; idempotent)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM rejected_items WHERE partition = %s", (partition,))
        cols = ", ".join(("partition", *REJECT_COLUMNS))
        with cur.copy(f"COPY rejected_items ({cols}) FROM STDIN") as copy:
            seen: set[tuple[object, object]] = set()
            for row in rows:
                key = (row["url"], row["reason"])
                if key not in seen:
                    seen.add(key)
                    copy.write_row([partition, *(row.get(c) for c in REJECT_COLUMNS)])
        return len(seen)


#: What the item tower reads of an item.
TOWER_COLUMNS = (
    "item_id", "content_hash", "title", "category", "category_specification", "gender", "season",
    "color", "age_group", "fiber_composition", "elasticity", "transparency", "isfleece", "specs",
)  # fmt: skip


def item_rows(
    conn: psycopg.Connection, columns: Sequence[str] = TOWER_COLUMNS
) -> list[dict[str, Any]]:
    """Every item as a dict of `columns`, ordered by id."""
    unknown = set(columns) - set(ITEM_COLUMNS)
    if unknown:
        raise ValueError(f"unknown item columns: {sorted(unknown)}")
    query = sql.SQL("SELECT {} FROM items ORDER BY item_id").format(
        sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    return [dict(zip(columns, row, strict=True)) for row in conn.execute(query)]


def items_added_since(conn: psycopg.Connection, since: datetime | None) -> tuple[int, datetime]:
    """How many items were first seen after `since` (all when None), and the newest first-seen
    time (the next cursor)."""
    count, newest = conn.execute(
        "SELECT count(*), max(first_seen_at) FROM items WHERE first_seen_at > %s",
        (since or datetime.min.replace(tzinfo=UTC),),
    ).fetchone()
    return count, newest or since or datetime.min.replace(tzinfo=UTC)
