"""Hyper-parameters of the item tower and its training, saved with every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TowerConfig:
    """Model size, view augmentation, loss temperature and optimiser settings."""

    dim: int = 128  # width of the token embeddings and of h
    heads: int = 4
    proj_dim: int = 64  # width of z, the projection head's output
    max_title_len: int = 32
    title_vocab_size: int = 4000
    dropout: float = 0.1  # SimCSE's view-making dropout
    attr_dropout: float = 0.15  # chance that an STD/RE token is replaced by [MASK]
    title_mask: float = 0.2  # chance that a title token is replaced by [MASK]
    # NT-Xent temperature, set on purpose: the library default 0.07 is neither SimCSE's 0.05
    # nor SimCLR's 0.5; 0.1 trains well on ~1-30k items (see the README's figures).
    temperature: float = 0.1
    lr: float = 2e-3
    weight_decay: float = 0.01
    batch_size: int = 64
    epochs: int = 20
    seed: int = 13
    eval_percent: float = 10.0  # held-out items (by a stable hash of the item id)
    quick_items: int = 0  # >0: train on this many training items only (quick mode)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TowerConfig:
        """Back from `to_dict` (unknown keys are an error, missing ones take defaults)."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown item tower settings: {sorted(unknown)}")
        return cls(**values)


#: Quick mode: about 1,000 items, fewer epochs; for the demo and a first look.
QUICK = TowerConfig(quick_items=1000, epochs=20)
