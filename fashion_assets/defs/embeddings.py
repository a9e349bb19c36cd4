"""Embedding assets: CLIP tuned on the catalogue (gated), CLIP vectors for every item, then
the live pgvector table.

clip_finetune --(its blocking check `gate`; promotion)--> clip_embeddings --> item_vectors
"""

import json
import time
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd

from fashion_assets.db.items import item_rows
from fashion_assets.db.vectors import (
    LIVE,
    item_vector,
    publish,
    save_embeddings,
    search,
    stale_items,
)
from fashion_assets.embed.tuned import RUNS, base_id, promote_clip, promoted_clip
from fashion_assets.itemtower.gate import gate
from fashion_assets.storage.parquet import write_parquet

from .launchers import TrainingLauncherResource
from .metadata import md_table, pg_table_metadata
from .policies import DAILY, GPU_POOL, after_upstream
from .resources import ClipResource, ObjectStoreResource, PostgresResource

if TYPE_CHECKING:  # torch and open_clip: imported by the steps, not by the definitions
    from fashion_assets.embed.finetune import FinetuneConfig

GROUP = "embeddings"
#: What a tuning run needs of each item.
TUNING_COLUMNS = ("item_id", "title", "category", "color", "season", "gender", "age_group",
                  "image_key")  # fmt: skip


class ClipFinetuneConfig(dg.Config):
    """Fine-tuning settings (defaults: the tiny model on a CPU in about a minute on the demo
    shop) and the gate's tolerances."""

    epochs: int = 40
    batch_size: int = 128
    lr: float = 1e-3
    max_seconds: float = 100.0
    max_train_items: int = 20_000
    tolerance: float = 0.0
    label_floor: float = 0.05

    def finetune(self) -> "FinetuneConfig":
        """The training settings."""
        from fashion_assets.embed.finetune import FinetuneConfig

        return FinetuneConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                              max_seconds=self.max_seconds,
                              max_train_items=self.max_train_items)  # fmt: skip


@dg.asset(
    group_name=GROUP,
    deps=[dg.AssetDep("items_table", partition_mapping=dg.AllPartitionMapping())],
    pool=GPU_POOL,
    kinds={"pytorch", "runpod"},
    description="The configured CLIP model contrastively tuned on the catalogue's image-text "
    "pairs (Korean and English), evaluated beside the base and the promoted model on held-out "
    "items; promoted (models/clip/promoted.json) only when its gate passes.",
    check_specs=[
        dg.AssetCheckSpec(
            "gate", asset="clip_finetune", blocking=True,
            description="The tuned model's score (mean of text->image MRR, image->text MRR and "
            "attribute-query precision@10 in Korean and English) is not below the model in use, "
            "and no metric falls more than label_floor below it. When it fails, nothing is "
            "promoted and the vectors are not rebuilt.",
        )
    ],
)  # fmt: skip
def clip_finetune(
    context: dg.AssetExecutionContext,
    config: ClipFinetuneConfig,
    clip: ClipResource,
    objects: ObjectStoreResource,
    postgres: PostgresResource,
    trainer: TrainingLauncherResource,
) -> dg.MaterializeResult:
    """Export the items, tune through the launcher, gate against the model in use, promote."""
    from fashion_assets.embed.finetune import GATE_KEYS, GATE_METRIC

    store, spec = objects.store(), clip.base_spec()
    prefix = f"{RUNS}/{context.run_id}"
    with postgres.connect() as conn:
        rows = item_rows(conn, TUNING_COLUMNS)
    write_parquet(store, f"{prefix}/items.parquet", pd.DataFrame(rows, columns=TUNING_COLUMNS))
    current = promoted_clip(store)
    champion = current["weights"] if current and current["base"] == base_id(spec) else None
    remote = trainer.run(
        context,
        job="clip_finetune",
        extras={"items_key": f"{prefix}/items.parquet", "output_prefix": prefix,
                "model": spec.model, "pretrained": spec.pretrained, "champion": champion,
                "config": config.finetune().to_dict()},
        env=objects.env(),
    ).materialize_result()  # fmt: skip
    metrics = json.loads(store.get(f"{prefix}/metrics.json"))
    evaluation = metrics["evaluation"]
    in_use = "champion" if "champion" in evaluation else "base"
    decision = gate(evaluation["tuned"], evaluation[in_use], {}, metric=GATE_METRIC,
                    labels=GATE_KEYS, tolerance=config.tolerance,
                    label_floor=config.label_floor)  # fmt: skip
    reason = decision.reason.replace("champion", f"the {in_use} model")
    if decision.passed:
        promote_clip(store, f"{prefix}/weights.pt", base_id(spec), {"gate": reason})
    context.log.info(reason)
    table = pd.DataFrame(evaluation).T.reset_index(names="model").round(3)
    return dg.MaterializeResult(
        metadata={
            **(remote.metadata or {}),
            "evaluation": md_table(table),
            "promoted": decision.passed,
            "path": dg.MetadataValue.path(store.uri(prefix)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="gate", passed=decision.passed, description=reason,
                metadata={"weights": f"{prefix}/weights.pt", "compared_with": in_use,
                          "tuned_score": decision.challenger,
                          f"{in_use}_score": decision.champion or 0.0},
            )
        ],
    )  # fmt: skip


@dg.asset(
    group_name=GROUP,
    deps=[dg.AssetDep("items_table", partition_mapping=dg.AllPartitionMapping()), clip_finetune],
    # a new crawl re-encodes what changed; a promoted CLIP is re-encoded by clip_job itself
    automation_condition=after_upstream(ignore=("clip_finetune",)),
    kinds={"pytorch", "postgres"},
    description="An image and a text CLIP embedding per item in PostgreSQL (item_embeddings), "
    "keyed by content hash and model version: only new or changed items are encoded. The model "
    "is the configured one, or its promoted fine-tuned weights (a new version: all re-encoded).",
)
def clip_embeddings(
    context: dg.AssetExecutionContext,
    clip: ClipResource,
    objects: ObjectStoreResource,
    postgres: PostgresResource,
) -> dg.MaterializeResult:
    """Encode the items whose embedding is missing or stale for the configured model."""
    from fashion_assets.embed.pipeline import embed_rows

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
        table = pg_table_metadata(conn, "item_embeddings")
    return dg.MaterializeResult(
        metadata={
            "model_version": encoder.version,
            "dim": encoder.dim,
            "encoded": len(pending),
            "unchanged": total - len(pending),
            "images_per_s": round(len(pending) / seconds, 1) if pending else 0.0,
            **table,
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[clip_embeddings],
    automation_condition=after_upstream(),
    freshness_policy=DAILY,
    kinds={"postgres", "pgvector"},
    description="The live pgvector table search reads: one model's vectors, filter columns, "
    "HNSW indexes. A new model is built beside it and swapped in one transaction.",
)
def item_vectors(
    context: dg.AssetExecutionContext, clip: ClipResource, postgres: PostgresResource
) -> dg.MaterializeResult:
    """Publish the configured model's embeddings and show a sample search."""
    encoder = clip.encoder()
    with postgres.connect() as conn:
        done = publish(conn, encoder.version, encoder.dim, postgres.build_memory)
        first = conn.execute("SELECT item_id, title FROM item_vectors ORDER BY item_id LIMIT 1")
        sample = first.fetchone()
        hits = []
        if sample:
            hits, _, _ = search(conn, item_vector(conn, sample[0]), k=5, exclude=sample[0])
        table = pg_table_metadata(conn, LIVE)
    context.log.info(f"item_vectors {done.mode}: {done.rows} rows, {done.changed} changed")
    return dg.MaterializeResult(
        metadata={
            "mode": done.mode,
            "rows": done.rows,
            "changed": done.changed,
            "model_version": encoder.version,
            "similar_to_first_item": md_table(pd.DataFrame([h.__dict__ for h in hits])),
            **table,
        }
    )
