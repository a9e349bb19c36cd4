"""Fine-tuned CLIP weights: versioned in the object store, one promoted per base model.

A tuning run writes `models/clip/runs/<run>/weights.pt`; promotion points
`models/clip/promoted.json` at it, for the base model it was tuned from. Whoever encodes (the
pipeline, the services) asks `resolve_spec` which weights to load: the promoted ones when they
were tuned from the configured base, copied once into FASHION_HOME/models/tuned/, else the base
itself. The weights file's hash is the model version, so promotion re-encodes every item and
rebuilds `item_vectors` through the machinery that handles any model change.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from fashion_assets.embed.spec import ClipSpec
from fashion_assets.storage import ObjectStore

PROMOTED_KEY = "models/clip/promoted.json"
RUNS = "models/clip/runs"


def base_id(spec: ClipSpec) -> str:
    """The base model a tuned model belongs to: model name and configured weights."""
    return f"{spec.model}|{spec.pretrained}"


def promoted_clip(store: ObjectStore) -> dict[str, Any] | None:
    """The promotion record (weights key, sha256, base, gate reason), or None."""
    return json.loads(store.get(PROMOTED_KEY)) if store.exists(PROMOTED_KEY) else None


def promote_clip(store: ObjectStore, weights_key: str, base: str, details: dict[str, Any]) -> str:
    """Point the promotion record at `weights_key` (tuned from `base`); returns its sha256."""
    sha = hashlib.sha256(store.get(weights_key)).hexdigest()
    record = {"weights": weights_key, "sha256": sha, "base": base, **details}
    store.put(PROMOTED_KEY, json.dumps(record).encode())
    return sha


def resolve_spec(spec: ClipSpec, store: ObjectStore, home: Path) -> ClipSpec:
    """`spec` with the promoted tuned weights when they were tuned from it, else `spec`."""
    record = promoted_clip(store)
    if record is None or record["base"] != base_id(spec):
        return spec
    local = Path(home) / "models" / "tuned" / f"{record['sha256'][:32]}.pt"
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(store.get(record["weights"]))
        os.replace(tmp, local)
    return replace(spec, pretrained=str(local))
