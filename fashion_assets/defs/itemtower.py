"""Item tower assets: train a checkpoint, gate it against the serving one, serve its vectors.

item_tower_checkpoint --(its blocking check `gate`)--> item_tower_serving --> tower_vectors

The gate's decision is the checkpoint's own check result for that run: item_tower_serving
promotes the checkpoint its run's check passed (or, run alone, the newest check's).
"""

import base64
import json

import dagster as dg
import pandas as pd
from pydantic import Field

from fashion_assets.db.items import item_rows, items_added_since
from fashion_assets.db.vectors import TOWER, item_vector, publish_tower, search
from fashion_assets.itemtower.config import BASELINES, GATE_KEYS, GATE_METRIC, QUICK, TowerConfig
from fashion_assets.itemtower.gate import gate
from fashion_assets.itemtower.registry import CHECKPOINTS, promote, serving_checkpoint
from fashion_assets.report import loss_curve_png
from fashion_assets.storage.parquet import write_parquet

from .launchers import TrainingLauncherResource
from .metadata import md_table, pg_table_metadata
from .policies import GPU_POOL
from .resources import ObjectStoreResource, PostgresResource

GROUP = "item_tower"
GATE_CHECK = dg.AssetCheckKey(dg.AssetKey("item_tower_checkpoint"), "gate")
#: Metadata key: the newest first-seen time among the items a checkpoint was trained on.
ITEMS_CUTOFF = "items_cutoff"


class ItemTowerConfig(dg.Config):
    """Training settings; unset values take TowerConfig's defaults (or quick mode's)."""

    quick: bool = Field(False, description="Train on ~1,000 items with fewer epochs.")
    epochs: int | None = None
    temperature: float | None = None
    batch_size: int | None = None
    gate_metric: str = Field(GATE_METRIC, description="The aggregate the gate compares.")
    gate_tolerance: float = Field(
        0.01, description="How far below the champion and the best baseline the aggregate may be."
    )
    label_floor: float = Field(
        0.05, description="How far below them each label's precision@10 and the MRR may be."
    )

    def tower(self) -> TowerConfig:
        """The TowerConfig this run trains with."""
        base = QUICK if self.quick else TowerConfig()
        overrides = {"epochs": self.epochs, "temperature": self.temperature,
                     "batch_size": self.batch_size}  # fmt: skip
        return TowerConfig.from_dict(
            {**base.to_dict(), **{k: v for k, v in overrides.items() if v is not None}}
        )


@dg.asset(
    group_name=GROUP,
    deps=[dg.AssetDep("items_table", partition_mapping=dg.AllPartitionMapping())],
    pool=GPU_POOL,
    kinds={"pytorch", "runpod"},
    description="A SimCSE-trained item tower (pth1 body, pth2 normalisation + head, config, "
    "tokenizer, metrics) in the object store, evaluated against TF-IDF and the serving model.",
    check_specs=[
        dg.AssetCheckSpec(
            "gate", asset="item_tower_checkpoint", blocking=True,
            description="The checkpoint beats the best TF-IDF baseline and is not worse than "
            "the serving one on the aggregate score and on every label (held-out items); "
            "when it fails, the serving pointer does not move.",
        )
    ],
)  # fmt: skip
def item_tower_checkpoint(
    context: dg.AssetExecutionContext,
    config: ItemTowerConfig,
    postgres: PostgresResource,
    objects: ObjectStoreResource,
    trainer: TrainingLauncherResource,
) -> dg.MaterializeResult:
    """Export the items, train through the launcher, gate against the serving checkpoint."""
    from fashion_assets.itemtower.evaluate import metrics_table  # torch: the step's, not the defs'

    store = objects.store()
    prefix = f"{CHECKPOINTS}/{context.run_id}"
    with postgres.connect() as conn:
        rows = item_rows(conn)
        _, cutoff = items_added_since(conn, None)
    items_key = f"{prefix}/items.parquet"
    write_parquet(store, items_key, pd.DataFrame(rows))
    serving = serving_checkpoint(store)
    remote = trainer.run(
        context,
        job="item_tower",
        extras={
            "items_key": items_key,
            "output_prefix": prefix,
            "config": config.tower().to_dict(),
            "champion": serving["checkpoint"] if serving else None,
        },
        env=objects.env(),
    ).materialize_result()
    metrics = json.loads(store.get(f"{prefix}/metrics.json"))
    evaluation = metrics["evaluation"]
    decision = gate(
        evaluation["h"], evaluation.get("champion"),
        {name: evaluation[name] for name in BASELINES if name in evaluation},
        metric=config.gate_metric, labels=GATE_KEYS, tolerance=config.gate_tolerance,
        label_floor=config.label_floor,
    )  # fmt: skip
    if metrics.get("champion_note"):
        context.log.warning(metrics["champion_note"])
    png = loss_curve_png(metrics["step_losses"], metrics["epoch_losses"])
    store.put(f"{prefix}/loss.png", png, content_type="image/png")
    context.log.info(decision.reason)
    return dg.MaterializeResult(
        metadata={
            **(remote.metadata or {}),
            ITEMS_CUTOFF: cutoff.isoformat(),
            "evaluation": md_table(pd.DataFrame(metrics_table(evaluation)), rows=50),
            # the most any model could lead each baseline by on every gate label at once
            "label_headroom": dg.MetadataValue.json(metrics["label_headroom"]),
            "loss_curve": dg.MetadataValue.md(
                f"![loss](data:image/png;base64,{base64.b64encode(png).decode()})"
            ),
            "path": dg.MetadataValue.path(store.uri(prefix)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="gate",
                passed=decision.passed,
                metadata={**_check_metadata(decision.to_dict()), "checkpoint": prefix},
                description=decision.reason,
            )
        ],
    )


def _check_metadata(decision: dict[str, object]) -> dict[str, object]:
    return {k: dg.MetadataValue.json(v) if isinstance(v, list) else v
            for k, v in decision.items() if v is not None}  # fmt: skip


def gate_decision(context: dg.AssetExecutionContext) -> tuple[str, bool, str]:
    """(checkpoint, passed, reason) of the gate check of this run's item_tower_checkpoint, or
    of the newest one when this run trained none."""
    history = context.instance.event_log_storage.get_asset_check_execution_history(
        GATE_CHECK, limit=50
    )
    records = [r for r in history if r.event and r.event.asset_check_evaluation]
    if not records:
        raise dg.Failure("no gated item tower checkpoint yet: materialize item_tower_checkpoint")
    record = next((r for r in records if r.run_id == context.run_id), records[0])
    evaluation = record.event.asset_check_evaluation
    meta = evaluation.metadata
    return meta["checkpoint"].value, evaluation.passed, evaluation.description or ""


@dg.asset(
    group_name=GROUP,
    deps=[item_tower_checkpoint],
    kinds={"json"},
    description="The serving pointer (itemtower/serving.json): the checkpoint the services "
    "and tower_vectors use. Moves only to a checkpoint that passed the gate.",
)
def item_tower_serving(
    context: dg.AssetExecutionContext, objects: ObjectStoreResource
) -> dg.MaterializeResult:
    """Promote the checkpoint whose gate check passed."""
    store = objects.store()
    checkpoint, passed, reason = gate_decision(context)
    if not passed:
        raise dg.Failure(f"not promoting {checkpoint}: {reason}")
    previous = serving_checkpoint(store)
    promote(store, checkpoint, {"gate": reason})
    previous = previous["checkpoint"] if previous else "none"
    return dg.MaterializeResult(metadata={"checkpoint": checkpoint, "previous": previous})


@dg.asset(
    group_name=GROUP,
    deps=[
        item_tower_serving,
        dg.AssetDep("items_table", partition_mapping=dg.AllPartitionMapping()),
    ],
    kinds={"pytorch", "postgres", "pgvector"},
    description="Every item's tower vector (L2-normalised h of the serving checkpoint) in "
    "pgvector (tower_vectors, HNSW), beside the CLIP vectors: 'similar items'.",
)
def tower_vectors(
    context: dg.AssetExecutionContext, objects: ObjectStoreResource, postgres: PostgresResource
) -> dg.MaterializeResult:
    """Encode all items with the serving checkpoint and swap the table in."""
    from fashion_assets.itemtower.checkpoint import load_tower  # torch: the step's

    store = objects.store()
    serving = serving_checkpoint(store)
    if serving is None:
        raise dg.Failure("no serving item tower yet: materialize item_tower_checkpoint first")
    tower = load_tower(store, serving["checkpoint"])
    with postgres.connect() as conn:
        rows = item_rows(conn)
        vectors = tower.encode(rows)
        done = publish_tower(conn, tower.version, rows, vectors, postgres.build_memory)
        hits = []
        if rows:
            first = rows[0]["item_id"]
            hits, _, _ = search(conn, item_vector(conn, first, "tower"), k=5, against="tower",
                             exclude=first)  # fmt: skip
        table = pg_table_metadata(conn, TOWER)
    context.log.info(f"tower_vectors: {done.rows} rows of {tower.version}")
    return dg.MaterializeResult(
        metadata={
            "rows": done.rows,
            "model_version": tower.version,
            "dim": int(vectors.shape[1]),
            "similar_to_first_item": md_table(pd.DataFrame([h.__dict__ for h in hits])),
            **table,
        }
    )
