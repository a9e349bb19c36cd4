"""Which checkpoint serves: written by `item_tower_serving`, read by `tower_vectors` and the
CLI (no torch: the Dagster definitions read it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fashion_assets.storage import ObjectStore

#: Where each training run writes its checkpoint (`<CHECKPOINTS>/<run id>`).
CHECKPOINTS = "itemtower/checkpoints"
SERVING_KEY = "itemtower/serving.json"


def serving_checkpoint(store: ObjectStore) -> dict[str, Any] | None:
    """The serving pointer ({"checkpoint": prefix, ...}), or None before the first promotion."""
    return json.loads(store.get(SERVING_KEY)) if store.exists(SERVING_KEY) else None


def promote(store: ObjectStore, prefix: str, details: Mapping[str, Any]) -> None:
    """Point serving at `prefix` (one atomic write)."""
    store.put(SERVING_KEY, json.dumps({"checkpoint": prefix, **details}).encode())
