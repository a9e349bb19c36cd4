"""Running the pipeline's assets in tests, with resources built from the environment."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from fashion_assets.defs.embeddings import clip_embeddings, clip_finetune, item_vectors
from fashion_assets.defs.ingest import clean_items, crawl, items_table
from fashion_assets.defs.instructions import instruction_data, vlm_training_set
from fashion_assets.defs.itemtower import (
    item_tower_checkpoint,
    item_tower_serving,
    tower_vectors,
)
from fashion_assets.defs.resources import build_resources
from fashion_assets.defs.vlm import vlm_adapter
from fashion_assets.settings import Settings

REPO = Path(__file__).resolve().parents[1]
PARTITION = "2026-11-20"
INGEST = [crawl, clean_items, items_table]
TOWER = [item_tower_checkpoint, item_tower_serving, tower_vectors]
#: A quick two-epoch tower for tests of what comes after training, with a gate relaxed so far
#: that it accepts it on a tiny catalogue (the gate itself: test_itemtower_assets.py).
TINY_TOWER = {"ops": {"item_tower_checkpoint": {"config": {
    "quick": True, "epochs": 2, "gate_tolerance": 1.0, "label_floor": 1.0}}}}  # fmt: skip
#: CLIP tuned for two epochs, with a gate relaxed so far that it accepts it (the gate
#: itself: test_embeddings.py).
TINY_CLIP = {"ops": {"clip_finetune": {"config": {
    "epochs": 2, "tolerance": 1.0, "label_floor": 1.0}}}}  # fmt: skip
CLIP = [clip_finetune, clip_embeddings, item_vectors]
EVERY_ASSET = [*INGEST, instruction_data, vlm_training_set, *CLIP, *TOWER, vlm_adapter]


def materialize(targets, partition: str | None = None, instance=None, run_config=None,
                raise_on_error: bool = True, **overrides):  # fmt: skip
    """Materialize `targets` (one partition) with the environment's resources, overridable;
    upstream assets are loaded from storage, not recomputed."""
    resources = {**build_resources(Settings()), **overrides}
    return dg.materialize(
        EVERY_ASSET,
        partition_key=partition,
        resources=resources,
        instance=instance or dg.DagsterInstance.ephemeral(),
        selection=[k for a in targets for k in a.keys],
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def materialize_ingest(partition: str = PARTITION, instance=None, raise_on_error: bool = True,
                       **overrides):  # fmt: skip
    """The ingest assets for one partition."""
    return materialize(INGEST, partition, instance, raise_on_error=raise_on_error, **overrides)
