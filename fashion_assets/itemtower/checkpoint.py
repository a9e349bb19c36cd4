"""Checkpoints in the object store, and the serving pointer.

<prefix>/pth1.pt          the body (what serving loads)
<prefix>/pth2.pt          the final normalisation and the projection head
<prefix>/config.json      TowerConfig
<prefix>/tokenizer.json   the title tokenizer
<prefix>/metrics.json     losses, timings, evaluation
(the serving pointer, itemtower/serving.json, is registry.py's)
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

from fashion_assets.storage import ObjectStore

from .config import TowerConfig
from .dataset import collate_views, plain_view
from .model import ProjectionHead, TowerBody, final_norm, serve
from .title_tokenizer import tokenizer_version
from .train import Trained, tokenize_rows


def _torch_bytes(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def save_checkpoint(store: ObjectStore, prefix: str, trained: Trained,
                    metrics: Mapping[str, Any]) -> None:  # fmt: skip
    """Write a trained tower under `prefix`; metrics.json goes last, so a checkpoint whose
    metrics exist is complete."""
    store.put(f"{prefix}/pth1.pt", _torch_bytes(trained.body.state_dict()))
    store.put(
        f"{prefix}/pth2.pt",
        _torch_bytes({"norm": trained.norm.state_dict(), "head": trained.head.state_dict()}),
    )
    store.put(f"{prefix}/config.json", json.dumps(trained.config.to_dict()).encode())
    store.put(f"{prefix}/tokenizer.json", trained.tokenizer.to_str().encode())
    store.put(f"{prefix}/metrics.json", json.dumps(metrics, ensure_ascii=False).encode())


@dataclass
class Tower:
    """A loaded checkpoint, ready to encode items."""

    prefix: str
    body: TowerBody
    norm: torch.nn.BatchNorm1d
    tokenizer: Tokenizer
    config: TowerConfig
    head: ProjectionHead | None = None

    @property
    def version(self) -> str:
        """The model version vectors are stored under: checkpoint and tokenizer."""
        return f"itemtower:{self.prefix.rsplit('/', 1)[-1]}:{tokenizer_version(self.tokenizer)}"

    def encode(self, rows: Sequence[Mapping[str, Any]], batch_size: int = 512) -> np.ndarray:
        """Served vectors (L2-normalised h) of item rows, float32, one row per item."""
        items = tokenize_rows(rows, self.tokenizer, self.config)
        out = [np.zeros((0, self.config.dim), np.float32)]
        for start in range(0, len(items), batch_size):
            batch = collate_views([plain_view(i) for i in items[start : start + batch_size]])
            out.append(serve(self.body, self.norm, batch).numpy())
        return np.concatenate(out)


def _load(data: bytes) -> Any:
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


class IncompatibleCheckpoint(ValueError):
    """A checkpoint written by a tower of another shape (an older version of this code)."""


def load_tower(store: ObjectStore, prefix: str, with_head: bool = False) -> Tower:
    """Load a checkpoint: the body from pth1 and the final normalisation from pth2 (the head
    too when asked; serving does not need it)."""
    try:
        config = TowerConfig.from_dict(json.loads(store.get(f"{prefix}/config.json")))
        tokenizer = Tokenizer.from_str(store.get(f"{prefix}/tokenizer.json").decode())
        body_state, rest = (
            _load(store.get(f"{prefix}/pth1.pt")),
            _load(store.get(f"{prefix}/pth2.pt")),
        )
    except KeyError as exc:
        raise FileNotFoundError(f"checkpoint {prefix!r} is incomplete: {exc} is missing") from None
    body = TowerBody(config, tokenizer.get_vocab_size())
    try:
        body.load_state_dict(body_state)
    except RuntimeError as exc:
        raise IncompatibleCheckpoint(
            f"checkpoint {prefix!r} does not fit this version's tower ({str(exc).splitlines()[0]}"
            f"): retrain item_tower_checkpoint"
        ) from None
    norm = final_norm(config)
    norm.load_state_dict(rest["norm"])
    head = None
    if with_head:
        head = ProjectionHead(config)
        head.load_state_dict(rest["head"])
        head.eval()
    body.eval()
    norm.eval()
    return Tower(prefix, body, norm, tokenizer, config, head)
