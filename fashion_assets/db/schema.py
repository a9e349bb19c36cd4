"""The catalogue schema, created and migrated by the code itself.

Migrations are numbered and applied once, in order, under an advisory lock so that concurrent
processes (parallel Dagster steps, services starting) never race on them.
"""

from __future__ import annotations

import psycopg

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE items (
            item_id text PRIMARY KEY,
            source text NOT NULL,
            sku text NOT NULL,
            url text NOT NULL,
            title text NOT NULL,
            brand text,
            price numeric,
            currency text,
            category text NOT NULL,
            category_specification text NOT NULL,
            gender text NOT NULL,
            season text NOT NULL,
            color text NOT NULL,
            fiber_composition text[] NOT NULL DEFAULT '{}',
            elasticity text,
            transparency text,
            isfleece text,
            specs jsonb NOT NULL DEFAULT '{}',
            reinforced jsonb NOT NULL DEFAULT '{}',
            image_url text NOT NULL,
            image_key text NOT NULL,
            image_sha256 text NOT NULL,
            image_width integer,
            image_height integer,
            image_phash text,
            content_hash text NOT NULL,
            first_seen_partition text NOT NULL,
            last_seen_partition text NOT NULL,
            first_seen_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX items_category_idx ON items (category);
        CREATE INDEX items_first_seen_at_idx ON items (first_seen_at);
        CREATE TABLE rejected_items (
            partition text NOT NULL,
            url text NOT NULL,
            reason text NOT NULL,
            source text,
            item_id text,
            detail text,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (partition, url, reason)
        );
        """,
    ),
    (
        2,
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE item_embeddings (
            item_id text NOT NULL,
            model_version text NOT NULL,
            content_hash text NOT NULL,
            image_embedding vector NOT NULL,
            text_embedding vector NOT NULL,
            embedded_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (item_id, model_version)
        );
        CREATE TABLE vector_tables (
            name text PRIMARY KEY,
            model_version text NOT NULL,
            dim integer NOT NULL,
            rows integer NOT NULL,
            built_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    (
        3,
        """
        ALTER TABLE items ADD COLUMN provenance jsonb NOT NULL DEFAULT '{}';
        ALTER TABLE items ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';
        CREATE TABLE crawl_host_schedule (
            host text PRIMARY KEY,
            next_at timestamptz NOT NULL
        );
        """,
    ),
    (
        4,
        """
        ALTER TABLE items ADD COLUMN age_group text NOT NULL DEFAULT 'adult';
        ALTER TABLE IF EXISTS item_vectors ADD COLUMN age_group text NOT NULL DEFAULT 'adult';
        ALTER TABLE IF EXISTS tower_vectors ADD COLUMN age_group text NOT NULL DEFAULT 'adult';
        """,
    ),
)

_LOCK_ID = 0x6661736869  # "fashi": one advisory lock id for schema changes


def migrate(conn: psycopg.Connection) -> int:
    """Apply pending migrations; returns the schema version now in force."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
        for version, sql in MIGRATIONS:
            if version not in done:
                conn.execute(sql)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
    return MIGRATIONS[-1][0]
