"""Embeddings in PostgreSQL: the per-model cache, the live `item_vectors` table, and search.

`item_embeddings` keeps one row per (item, model version) with the content hash it was computed
from, so only new or changed items are encoded again. `item_vectors` is what search reads: one
model's vectors with the filter columns, B-tree indexes on them and HNSW indexes on the vectors.
For a new model it is built beside the live table and swapped in with one transaction; for the
same model changed rows are upserted in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

FILTER_COLUMNS = ("category", "category_specification", "gender", "age_group", "season", "color")
LIVE = "item_vectors"
TOWER = "tower_vectors"
#: What a search can compare against: table and vector column.
TARGETS = {
    "image": (LIVE, "image_embedding"),
    "text": (LIVE, "text_embedding"),
    "tower": (TOWER, "embedding"),
}
#: Filters matching at most this share of rows (or this many rows) use an exact scan.
EXACT_SHARE = 0.05
EXACT_ROWS = 5_000
EF_SEARCH = 400


def vector_conn(conn: psycopg.Connection) -> psycopg.Connection:
    """Register the pgvector types on a connection (after the extension exists), once: the
    registration looks the types up in the database, a round trip a pooled connection makes
    only on its first search."""
    if conn.adapters.types.get("vector") is None:
        register_vector(conn)
    return conn


def stale_items(conn: psycopg.Connection, model_version: str) -> list[dict[str, Any]]:
    """Items with no embedding for `model_version`, or one computed from other content."""
    rows = conn.execute(
        """
        SELECT i.item_id, i.content_hash, i.image_key, i.title, i.category, i.color, i.season,
               i.gender
        FROM items i LEFT JOIN item_embeddings e
          ON e.item_id = i.item_id AND e.model_version = %s
        WHERE e.item_id IS NULL OR e.content_hash <> i.content_hash
        ORDER BY i.item_id
        """,
        (model_version,),
    ).fetchall()
    names = ("item_id", "content_hash", "image_key", "title", "category", "color", "season",
             "gender")  # fmt: skip
    return [dict(zip(names, r, strict=True)) for r in rows]


def save_embeddings(
    conn: psycopg.Connection,
    model_version: str,
    rows: Sequence[Mapping[str, Any]],
    images: np.ndarray,
    texts: np.ndarray,
) -> int:
    """Upsert embeddings in one transaction: drop the batch's old rows for this model, then
    binary-COPY the new ones straight into the table (no staging table, each row written once)."""
    vector_conn(conn)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "DELETE FROM item_embeddings WHERE model_version = %s AND item_id = ANY(%s)",
            (model_version, [r["item_id"] for r in rows]),
        )
        with cur.copy(
            "COPY item_embeddings (item_id, model_version, content_hash, image_embedding, "
            "text_embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "text", "text", "vector", "vector"])
            for row, image, text in zip(rows, images, texts, strict=True):
                copy.write_row([row["item_id"], model_version, row["content_hash"], image, text])
    return len(rows)


def live_version(conn: psycopg.Connection) -> str | None:
    """The model version the live `item_vectors` table holds (None before the first build)."""
    row = conn.execute(
        "SELECT model_version FROM vector_tables WHERE name = %s", (LIVE,)
    ).fetchone()
    return row[0] if row else None


_SELECT = """
    SELECT i.item_id, i.content_hash, i.title, i.category, i.category_specification, i.gender,
           i.season, i.color, i.age_group, e.image_embedding, e.text_embedding
    FROM items i JOIN item_embeddings e
      ON e.item_id = i.item_id AND e.model_version = %(version)s AND e.content_hash = i.content_hash
"""


@dataclass(frozen=True)
class Published:
    """What `publish` did."""

    mode: str  # "rebuilt" or "updated"
    rows: int
    changed: int


def publish(
    conn: psycopg.Connection, model_version: str, dim: int, build_memory: str = "512MB"
) -> Published:
    """Make `item_vectors` hold `model_version`: rebuild and swap for a new model, else update
    the changed rows in place. Readers see the old table or the new one, never a partial one.
    `build_memory` is the maintenance_work_mem of a rebuild (HNSW builds slow down sharply once
    the graph outgrows it)."""
    if live_version(conn) == model_version:
        return _update_in_place(conn, model_version)
    return _rebuild_and_swap(conn, model_version, dim, build_memory)


def _update_in_place(conn: psycopg.Connection, version: str) -> Published:
    with conn.transaction():
        gone = conn.execute(
            f"DELETE FROM {LIVE} v WHERE NOT EXISTS (SELECT 1 FROM items i "
            "WHERE i.item_id = v.item_id AND i.content_hash = v.content_hash)"
        ).rowcount
        columns = ", ".join((*ITEM_FIELDS, "image_embedding", "text_embedding"))
        added = conn.execute(
            f"INSERT INTO {LIVE} ({columns}) SELECT {columns} FROM ({_SELECT}) s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {LIVE} v WHERE v.item_id = s.item_id)",
            {"version": version},
        ).rowcount
        rows = conn.execute(f"SELECT count(*) FROM {LIVE}").fetchone()[0]
        conn.execute("UPDATE vector_tables SET rows = %s, built_at = now() WHERE name = %s",
                     (rows, LIVE))  # fmt: skip
    return Published("updated", rows, gone + added)


_ITEM_COLUMNS = (
    "item_id text PRIMARY KEY, content_hash text NOT NULL, title text NOT NULL, "
    "category text NOT NULL, category_specification text NOT NULL, gender text NOT NULL, "
    "season text NOT NULL, color text NOT NULL, age_group text NOT NULL"
)
#: Item columns a vectors table copies from `items`, in table order.
ITEM_FIELDS = ("item_id", "content_hash", "title", "category", "category_specification", "gender",
               "season", "color", "age_group")  # fmt: skip


def _build_and_swap(
    conn: psycopg.Connection,
    name: str,
    version: str,
    dim: int,
    build_memory: str,
    vector_columns: Sequence[str],
    fill: Callable[[sql.Identifier], None],
) -> int:
    """Build table `name` anew beside the live one (`fill` loads it), index it, and swap it in
    with one short transaction. Returns its row count."""
    new, old = sql.Identifier(f"{name}_new"), sql.Identifier(f"{name}_old")
    live = sql.Identifier(name)
    vectors = sql.SQL(", ").join(
        sql.SQL("{} vector({}) NOT NULL").format(sql.Identifier(c), sql.Literal(dim))
        for c in vector_columns
    )
    with conn.transaction():
        conn.execute(
            sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(build_memory))
        )
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(new))
        conn.execute(sql.SQL("CREATE TABLE {} (" + _ITEM_COLUMNS + ", {})").format(new, vectors))
        fill(new)
        for column in FILTER_COLUMNS:
            conn.execute(sql.SQL("CREATE INDEX ON {} ({})").format(new, sql.Identifier(column)))
        for column in vector_columns:
            conn.execute(sql.SQL("CREATE INDEX ON {} USING hnsw ({} vector_cosine_ops)").format(
                new, sql.Identifier(column)))  # fmt: skip
        conn.execute(sql.SQL("ANALYZE {}").format(new))
        rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(new)).fetchone()[0]
    with conn.transaction():  # the swap: one short transaction
        conn.execute(sql.SQL("ALTER TABLE IF EXISTS {} RENAME TO {}").format(live, old))
        conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(new, live))
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(old))
        conn.execute(
            "INSERT INTO vector_tables (name, model_version, dim, rows) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET model_version = EXCLUDED.model_version, "
            "dim = EXCLUDED.dim, rows = EXCLUDED.rows, built_at = now()",
            (name, version, dim, rows),
        )
    return rows


def _rebuild_and_swap(
    conn: psycopg.Connection, version: str, dim: int, build_memory: str
) -> Published:
    def fill(new: sql.Identifier) -> None:
        columns = sql.SQL(", ").join(
            map(sql.Identifier, (*ITEM_FIELDS, "image_embedding", "text_embedding"))
        )
        conn.execute(sql.SQL("INSERT INTO {} ({}) ").format(new, columns) + sql.SQL(_SELECT),
                     {"version": version})  # fmt: skip

    rows = _build_and_swap(
        conn, LIVE, version, dim, build_memory, ("image_embedding", "text_embedding"), fill
    )
    return Published("rebuilt", rows, rows)


def publish_tower(
    conn: psycopg.Connection,
    model_version: str,
    rows: Sequence[Mapping[str, Any]],
    vectors: np.ndarray,
    build_memory: str = "512MB",
) -> Published:
    """Make `tower_vectors` hold these item-tower vectors (`rows` carry `ITEM_FIELDS`): the
    whole table is rebuilt beside the live one and swapped in."""
    vector_conn(conn)

    def fill(new: sql.Identifier) -> None:
        columns = sql.SQL(", ").join(map(sql.Identifier, (*ITEM_FIELDS, "embedding")))
        with conn.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(new, columns)
        ) as copy:
            copy.set_types(["text"] * len(ITEM_FIELDS) + ["vector"])
            for row, vector in zip(rows, vectors, strict=True):
                copy.write_row([*(row[f] for f in ITEM_FIELDS), vector])

    count = _build_and_swap(
        conn, TOWER, model_version, int(vectors.shape[1]), build_memory, ("embedding",), fill
    )
    return Published("rebuilt", count, count)


@dataclass(frozen=True)
class Hit:
    """One search result."""

    item_id: str
    title: str
    category: str
    season: str
    color: str
    gender: str
    distance: float | None
    image_key: str  # "" when the item has left `items` since the table was built


class Ranked(NamedTuple):
    """What a search found: the hits, the plan that found them, and the model version of the
    table it read (None, with no hits, before that table is first built)."""

    hits: list[Hit]
    plan: str
    model_version: str | None


def _where(filters: Mapping[str, Iterable[str]] | None) -> tuple[sql.Composable, list[Any]]:
    clauses, params = [], []
    for column, values in (filters or {}).items():
        if column not in FILTER_COLUMNS:
            raise ValueError(f"cannot filter on {column!r}; use {FILTER_COLUMNS}")
        clauses.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(column)))
        params.append(list(values))
    if not clauses:
        return sql.SQL("TRUE"), []
    return sql.SQL(" AND ").join(clauses), params


def search(
    conn: psycopg.Connection,
    query: np.ndarray,
    k: int = 10,
    filters: Mapping[str, Iterable[str]] | None = None,
    against: str = "image",
    exclude: str | None = None,
    exact_rows: int = EXACT_ROWS,
    exact_share: float = EXACT_SHARE,
    ef_search: int | None = None,
) -> Ranked:
    """The k nearest items (cosine) to `query` among those matching `filters`, the plan used and
    the model version of the table searched (read with its size, so it costs no round trip).

    Plans: "hnsw" for no or broad filters (iterative scan, so filtered rows do not starve the
    result), "exact" through the filter indexes for selective filters; an HNSW answer short of k
    rows while more match falls back to exact. Returns k rows whenever k rows match.
    `exact_rows` and `exact_share` set where the planner switches to the exact scan;
    `ef_search` overrides the HNSW candidate list size (default: `default_ef_search(k)`).
    """
    if against not in TARGETS:
        raise ValueError(f"against must be one of {sorted(TARGETS)}")
    if not 1 <= k <= 1000:
        raise ValueError("k must be between 1 and 1000")
    vector_conn(conn)
    name, vector_column = TARGETS[against]
    table, column = sql.Identifier(name), sql.Identifier(vector_column)
    where, params = _where(filters)
    if exclude is not None:
        where = sql.SQL("{} AND item_id <> %s").format(where)
        params = [*params, exclude]
    query = np.asarray(query, dtype=np.float32)
    with conn.transaction():
        # the live table's size is kept in vector_tables by publish: no full count per query
        live = conn.execute(
            "SELECT rows, model_version FROM vector_tables WHERE name = %s", (name,)
        ).fetchone()
        if live is None:
            return Ranked([], "none", None)
        total_rows, version = live
        matching = total_rows if not (filters or exclude) else conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE {}").format(table, where), params
        ).fetchone()[0]  # fmt: skip
        exact = bool(filters) and (matching <= exact_rows or matching <= exact_share * total_rows)
        ef = ef_search or default_ef_search(k)
        hits = [] if exact else _hnsw(conn, table, column, where, params, query, k, ef)
        plan = "hnsw"
        if exact or len(hits) < min(k, matching):
            hits, plan = _exact(conn, table, column, where, params, query, k), "exact"
    return Ranked(hits, plan, version)


_COLUMNS = sql.SQL("item_id, title, category, season, color, gender")


def _hits(conn: psycopg.Connection, ranked: sql.Composable, params: Sequence[Any]) -> list[Hit]:
    """Run `ranked` (a query for `_COLUMNS` and a distance `d`, in order) and return its rows
    as hits with their items' image keys, joined in the same round trip."""
    rows = conn.execute(
        sql.SQL(
            "SELECT r.*, coalesce(i.image_key, '') FROM ({}) r LEFT JOIN items i USING (item_id) "
            "ORDER BY r.d"
        ).format(ranked),
        params,
    ).fetchall()
    return [Hit(*r[:6], None if r[6] is None else float(r[6]), r[7]) for r in rows]


def default_ef_search(k: int) -> int:
    """HNSW candidate list size for a top-k query (see bench/vector_search.py for the recall
    and latency behind the number; pgvector caps it at 1000)."""
    return min(1000, max(EF_SEARCH, 10 * k))


def _hnsw(conn, table, column, where, params, query, k, ef_search: int) -> list[Hit]:
    # This plan is the HNSW index. Left alone, PostgreSQL's cost model sometimes prices a large
    # ef_search above a sequential scan, or above a B-tree scan on the filter column plus a sort,
    # and quietly scans exactly (seen at ef_search 400: 450 ms instead of 45). Only the
    # index yields rows in distance order without a sort, so make the alternatives unattractive
    # for this transaction; the outer re-sort of k rows still runs.
    # for this transaction (set_config's `true`), in one round trip
    conn.execute(
        "SELECT set_config('enable_seqscan', 'off', true), "
        "set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true), "
        "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('hnsw.ef_search', %s, true)",
        [str(ef_search)],
    )
    return _hits(
        conn,
        sql.SQL(
            "SELECT {cols}, {col} <=> %s AS d FROM {live} WHERE {where} "
            "ORDER BY {col} <=> %s LIMIT %s"
        ).format(cols=_COLUMNS, col=column, live=table, where=where),
        [query, *params, query, k],
    )


def _exact(conn, table, column, where, params, query, k) -> list[Hit]:
    return _hits(
        conn,
        sql.SQL(
            "WITH c AS MATERIALIZED (SELECT {cols}, {col} AS v FROM {live} WHERE {where}) "
            "SELECT {cols}, v <=> %s AS d FROM c ORDER BY d LIMIT %s"
        ).format(cols=_COLUMNS, col=column, live=table, where=where),
        [*params, query, k],
    )


def hits_by_id(
    conn: psycopg.Connection,
    item_ids: Sequence[str],
    query: np.ndarray | None,
    against: str = "image",
) -> list[Hit]:
    """The live rows of `item_ids`, in that order, with their distance to `query` (None
    without a query); ids with no live row are left out."""
    vector_conn(conn)
    name, column = TARGETS[against]
    distance = sql.SQL("NULL::float8") if query is None else sql.SQL("{} <=> %s").format(
        sql.Identifier(column))  # fmt: skip
    params = ([] if query is None else [np.asarray(query, np.float32)]) + [list(item_ids)]
    ranked = sql.SQL("SELECT {cols}, {d} AS d FROM {live} WHERE item_id = ANY(%s)").format(
        cols=_COLUMNS, d=distance, live=sql.Identifier(name))  # fmt: skip
    found = {h.item_id: h for h in _hits(conn, ranked, params)}
    return [found[i] for i in item_ids if i in found]


def live_stamp(conn: psycopg.Connection) -> tuple:
    """What changes whenever `item_vectors` does: (model version, rows, build time); () before
    the first build."""
    stamp = conn.execute(
        "SELECT model_version, rows, built_at FROM vector_tables WHERE name = %s", (LIVE,)
    ).fetchone()
    return tuple(stamp or ())


def lexical_rows(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """What the lexical index is built from: the live `item_vectors` rows with their fibres."""
    names = (*ITEM_FIELDS, "fibers")
    rows = conn.execute(
        f"SELECT {', '.join('v.' + f for f in ITEM_FIELDS)}, i.fiber_composition "
        f"FROM {LIVE} v LEFT JOIN items i USING (item_id)"
    ).fetchall()
    return [dict(zip(names, r, strict=True)) for r in rows]


def item_vector(conn: psycopg.Connection, item_id: str, against: str = "image") -> np.ndarray:
    """An item's live vector (KeyError when the item has none)."""
    vector_conn(conn)
    name, column = TARGETS[against]
    row = conn.execute(
        sql.SQL("SELECT {} FROM {} WHERE item_id = %s").format(
            sql.Identifier(column), sql.Identifier(name)
        ),
        (item_id,),
    ).fetchone()
    if row is None:
        raise KeyError(item_id)
    return row[0].to_numpy()
