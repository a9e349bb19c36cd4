"""Which adapter is the newest: written by the `vlm_adapter` asset, read by the VLM service."""

from __future__ import annotations

import json
from typing import Any

from fashion_assets.storage import ObjectStore

LATEST_ADAPTER_KEY = "vlm/latest.json"


def record_latest(store: ObjectStore, adapter: str, base_model: str) -> None:
    """Point `latest` at an adapter prefix (one atomic write)."""
    store.put(
        LATEST_ADAPTER_KEY, json.dumps({"adapter": adapter, "base_model": base_model}).encode()
    )


def latest_adapter(store: ObjectStore) -> dict[str, Any] | None:
    """{"adapter": prefix, "base_model": ...} of the newest adapter, or None before the first."""
    return json.loads(store.get(LATEST_ADAPTER_KEY)) if store.exists(LATEST_ADAPTER_KEY) else None
