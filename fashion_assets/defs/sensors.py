"""Sensors: retrain the item tower once enough new items have landed; fine-tune the VLM at most
nightly, and only when its training set has grown enough to be worth a paid GPU run."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from fashion_assets.db.items import items_added_since

from .instructions import TRAINING_PREFIX
from .itemtower import ITEMS_CUTOFF
from .jobs import item_tower_job, vlm_job
from .resources import ObjectStoreResource, PostgresResource, RetrainResource


def _last_cutoff(instance: dg.DagsterInstance) -> datetime | None:
    event = instance.get_latest_materialization_event(dg.AssetKey("item_tower_checkpoint"))
    materialization = event.asset_materialization if event else None
    if materialization is None or ITEMS_CUTOFF not in materialization.metadata:
        return None
    return datetime.fromisoformat(materialization.metadata[ITEMS_CUTOFF].value)


@dg.sensor(
    job=item_tower_job,
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests an item tower training run when the items first seen since the last "
    "checkpoint (or the last request) reach FASHION_TOWER_RETRAIN_ITEMS.",
)
def item_tower_retrain(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, retrain: RetrainResource
) -> dg.SensorResult | dg.SkipReason:
    """Cursor: the newest first-seen time already covered by a request or a checkpoint."""
    marks = [m for m in (_last_cutoff(context.instance),) if m is not None]
    if context.cursor:
        marks.append(datetime.fromisoformat(context.cursor))
    since = max(marks) if marks else None
    threshold = retrain.tower_items
    with postgres.connect() as conn:
        added, newest = items_added_since(conn, since)
    if added < threshold:
        return dg.SkipReason(
            f"{added} new items since {since or 'the start'}; retraining at {threshold}"
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"item-tower-{newest.isoformat()}", tags={"trigger": f"{added} new items"}
            )
        ],
        cursor=newest.isoformat(),
    )


VLM_MIN_INTERVAL = timedelta(hours=24)


@dg.sensor(
    job=vlm_job,
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests a VLM fine-tune when vlm_training_set has grown by "
    "FASHION_VLM_RETRAIN_GROWTH since the last adapter, at most once a day. Off by default: "
    "each run rents a GPU.",
)
def vlm_retrain(
    context: dg.SensorEvaluationContext, objects: ObjectStoreResource, retrain: RetrainResource
) -> dg.SensorResult | dg.SkipReason:
    """Cursor: when the last run was requested (ISO time)."""
    now = datetime.now(UTC)
    if context.cursor and now - datetime.fromisoformat(context.cursor) < VLM_MIN_INTERVAL:
        return dg.SkipReason(f"last fine-tune requested at {context.cursor}; at most one a day")
    store = objects.store()
    key = f"{TRAINING_PREFIX}/manifest.json"
    if not store.exists(key):
        return dg.SkipReason("no VLM training set yet")
    current = int(json.loads(store.get(key))["train"])
    event = context.instance.get_latest_materialization_event(dg.AssetKey("vlm_adapter"))
    meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
    trained = int(meta["training_set_train"].value) if "training_set_train" in meta else 0
    growth = retrain.vlm_growth
    if trained and current < trained * (1 + growth):
        return dg.SkipReason(
            f"training set {current} conversations, {trained} at the last adapter: below +{growth:.0%}"
        )
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"vlm-{current}-{now:%Y%m%d}")],
        cursor=now.isoformat(),
    )


automation = dg.AutomationConditionSensorDefinition(
    "automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs what each asset's automation condition asks for: vlm_training_set after new "
    "instruction partitions, clip_embeddings and then item_vectors after the catalogue changes "
    "(nightly_reembed is the backstop).",
)
