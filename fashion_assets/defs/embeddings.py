"""Embedding assets: CLIP vectors for every item, then the live pgvector table."""

import time

import dagster as dg
import pandas as pd

from fashion_assets.db.vectors import item_vector, publish, save_embeddings, search, stale_items
from fashion_assets.embed.pipeline import embed_rows
from fashion_assets.settings import Settings

from .metadata import md_table
from .resources import ClipResource, ObjectStoreResource, PostgresResource

GROUP = "embeddings"


@dg.asset(
    group_name=GROUP,
    deps=[dg.AssetDep("items_table", partition_mapping=dg.AllPartitionMapping())],
    description="An image and a text CLIP embedding per item in PostgreSQL (item_embeddings), "
    "keyed by content hash and model version: only new or changed items are encoded.",
)
def clip_embeddings(
    context: dg.AssetExecutionContext,
    clip: ClipResource,
    objects: ObjectStoreResource,
    postgres: PostgresResource,
) -> dg.MaterializeResult:
    """Encode the items whose embedding is missing or stale for the configured model."""
    encoder = clip.encoder()
    step = [-1]

    def progress(done: int, total: int) -> None:
        if done * 10 // total > step[0]:
            step[0] = done * 10 // total
            context.log.info(f"encoded {done}/{total} images")

    with postgres.connect() as conn:
        pending = stale_items(conn, encoder.version)
        context.log.info(f"{len(pending)} items to encode with {encoder.version}")
        started = time.perf_counter()
        images, texts = embed_rows(encoder, objects.store(), pending, progress)
        seconds = time.perf_counter() - started
        save_embeddings(conn, encoder.version, pending, images, texts)
        total = conn.execute(
            "SELECT count(*) FROM item_embeddings WHERE model_version = %s", (encoder.version,)
        ).fetchone()[0]
    return dg.MaterializeResult(
        metadata={
            "model_version": encoder.version,
            "dim": encoder.dim,
            "encoded": len(pending),
            "unchanged": total - len(pending),
            "images_per_s": round(len(pending) / seconds, 1) if pending else 0.0,
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[clip_embeddings],
    description="The live pgvector table search reads: one model's vectors, filter columns, "
    "HNSW indexes. A new model is built beside it and swapped in one transaction.",
)
def item_vectors(
    context: dg.AssetExecutionContext, clip: ClipResource, postgres: PostgresResource
) -> dg.MaterializeResult:
    """Publish the configured model's embeddings and show a sample search."""
    encoder = clip.encoder()
    with postgres.connect() as conn:
        done = publish(conn, encoder.version, encoder.dim, Settings().fashion_pg_build_memory)
        first = conn.execute("SELECT item_id, title FROM item_vectors ORDER BY item_id LIMIT 1")
        sample = first.fetchone()
        hits = []
        if sample:
            hits, _ = search(conn, item_vector(conn, sample[0]), k=5, exclude=sample[0])
    context.log.info(f"item_vectors {done.mode}: {done.rows} rows, {done.changed} changed")
    return dg.MaterializeResult(
        metadata={
            "mode": done.mode,
            "rows": done.rows,
            "changed": done.changed,
            "model_version": encoder.version,
            "similar_to_first_item": md_table(pd.DataFrame([h.__dict__ for h in hits])),
        }
    )
