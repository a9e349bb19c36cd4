"""Sensors: retrain the item tower once enough new items have landed."""

from datetime import datetime

import dagster as dg

from fashion_assets.db.items import items_added_since
from fashion_assets.settings import Settings

from .itemtower import ITEMS_CUTOFF
from .jobs import item_tower_job
from .resources import PostgresResource


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
    context: dg.SensorEvaluationContext, postgres: PostgresResource
) -> dg.SensorResult | dg.SkipReason:
    """Cursor: the newest first-seen time already covered by a request or a checkpoint."""
    marks = [m for m in (_last_cutoff(context.instance),) if m is not None]
    if context.cursor:
        marks.append(datetime.fromisoformat(context.cursor))
    since = max(marks) if marks else None
    threshold = Settings().fashion_tower_retrain_items
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
