"""Hyper-parameters of the item tower and its training, saved with every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .tokens import MISSABLE


@dataclass(frozen=True)
class TowerConfig:
    """Model size, view augmentation, loss temperature and optimiser settings."""

    dim: int = 256  # width of the token embeddings and of h
    heads: int = 4
    proj_dim: int = 64  # width of z, the projection head's output
    max_title_len: int = 32
    title_vocab_size: int = 4000
    dropout: float = 0.1  # SimCSE's view-making dropout
    attr_dropout: float = 0.15  # chance that an STD/RE token is replaced by [MASK]
    title_mask: float = 0.2  # chance that a title token is replaced by [MASK]
    # chance that a view hides gender / colour / season whole, as a page that lacks it: the
    # tower learns to tell them from the title and the rest (the *_missing_p@10 metrics)
    label_dropout: float = 0.3
    # NT-Xent temperature, set on purpose: the library default 0.07 is neither SimCSE's 0.05
    # nor SimCLR's 0.5; 0.1 trains well on ~1-30k items (see the README's figures).
    temperature: float = 0.1
    # The loss: instance_weight x NT-Xent on z (each item's two views are the positives);
    # SupCon on h with items of identical STD + RE tokens as positives (signature_weight) and
    # items of one category (category_weight); SupCon on a small linear head of h per label of
    # LOSS_LABELS (label_weights, in that order); all SupCon at label_temperature. Without
    # them same-kind items are negatives and get pushed apart (see the README).
    instance_weight: float = 4.0
    signature_weight: float = 0.5
    category_weight: float = 0.5
    label_weights: tuple[float, ...] = (0.0, 0.5, 0.5, 1.5)
    label_head_dim: int = 32
    label_temperature: float = 0.2
    lr: float = 2e-3
    weight_decay: float = 0.01
    batch_size: int = 128
    epochs: int = 30
    seed: int = 13
    eval_percent: float = 20.0  # held-out items (by a stable hash of the item id) ...
    min_eval_items: int = 500  # ... raised in steps to reach this many where there are enough
    max_eval_items: int = 2000  # ... and capped, for the evaluation's speed
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
        if "label_weights" in values:  # a list once through JSON
            values = {**values, "label_weights": tuple(values["label_weights"])}
        return cls(**values)


#: Labels whose SupCon terms join the loss (an items-table column each).
LOSS_LABELS = ("category", "gender", "color", "season")
#: The labels whose neighbour precision the gate protects one by one.
GATE_LABELS = LOSS_LABELS  # what the loss teaches is what the gate protects
#: The metrics the gate holds to a floor, and whose mean is the score: each gate label's
#: neighbour precision@10, the same for each label a page may lack when the item's own token of
#: it is hidden (can the tower tell it from the rest?), and the view retrieval MRR.
GATE_KEYS = (
    *(f"{label}_p@10" for label in GATE_LABELS),
    *(f"{label}_missing_p@10" for label in MISSABLE),
    "mrr",
)
#: The aggregate the champion/challenger gate compares by default (higher is better).
GATE_METRIC = "score"
#: The bag-of-words baselines the tower is scored against, and the token parts each reads.
BASELINES = {"tfidf_attributes": ("attributes",), "tfidf_title": ("title",),
             "tfidf": ("attributes", "title")}  # fmt: skip

#: Quick mode: about 1,000 items, fewer epochs; for the demo and a first look.
QUICK = TowerConfig(quick_items=1000, epochs=20)
