"""Two views per item (SimCSE) and the collate that turns views into padded tensors.

A view keeps the item but hides part of it: each attribute token is replaced by [MASK] with
probability `attr_dropout` (the category token is always kept, so a view never loses what the
item is) and each title token with probability `title_mask`. The model's own dropout makes the
two views differ further.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch.utils.data import Dataset

from .tokens import MASK, MISSABLE_IDS, PAD, ItemTokens

View = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


class Batch(NamedTuple):
    """Padded id tensors of one view of a batch; masks are True on real tokens."""

    std_ids: torch.Tensor
    std_mask: torch.Tensor
    re_ids: torch.Tensor
    re_mask: torch.Tensor
    title_ids: torch.Tensor
    title_mask: torch.Tensor

    def to(self, device: torch.device | str) -> Batch:
        """The same batch on `device`."""
        return Batch(*(t.to(device) for t in self))


def _mask(ids: Sequence[int], p: float, rng: random.Random, keep_first: bool) -> tuple[int, ...]:
    return tuple(
        t if (keep_first and i == 0) or rng.random() >= p else MASK for i, t in enumerate(ids)
    )


def hide(view: View, ids: frozenset[int]) -> View:
    """The view with the attribute tokens `ids` masked (the title stays as it is)."""
    std, re_, title = view
    return (
        tuple(MASK if t in ids else t for t in std),
        tuple(MASK if t in ids else t for t in re_),
        title,
    )


def make_view(item: ItemTokens, attr_dropout: float, title_mask: float, rng: random.Random,
              label_dropout: float = 0.0) -> View:  # fmt: skip
    """One augmented view of an item; with `label_dropout`, each MISSABLE label (gender,
    colour, season) is hidden whole with that chance, as on a page that does not state it."""
    view = (
        _mask(item.std, attr_dropout, rng, keep_first=True),
        _mask(item.re, attr_dropout, rng, keep_first=False),
        _mask(item.title, title_mask, rng, keep_first=False),
    )
    if label_dropout:
        hidden = [ids for ids in MISSABLE_IDS.values() if rng.random() < label_dropout]
        view = hide(view, frozenset().union(*hidden))
    return view


def plain_view(item: ItemTokens) -> View:
    """The item with nothing hidden (what serving encodes)."""
    return item.std, item.re, item.title


class SimCSERecSysDataset(Dataset):
    """Items -> (view 1, view 2, index). Views are drawn from a generator seeded per (seed,
    epoch, index), so a run is reproducible and every epoch sees new views; the index finds
    the item's labels for the loss."""

    def __init__(self, items: Sequence[ItemTokens], attr_dropout: float, title_mask: float,
                 seed: int = 0, label_dropout: float = 0.0):  # fmt: skip
        self.items = list(items)
        self.attr_dropout = attr_dropout
        self.title_mask = title_mask
        self.label_dropout = label_dropout
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[View, View, int]:
        rng = random.Random(f"{self.seed}:{self.epoch}:{index}")
        item = self.items[index]
        return (
            make_view(item, self.attr_dropout, self.title_mask, rng, self.label_dropout),
            make_view(item, self.attr_dropout, self.title_mask, rng, self.label_dropout),
            index,
        )


def _pad(groups: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(1, max(len(g) for g in groups))
    ids = torch.full((len(groups), width), PAD, dtype=torch.long)
    for row, group in enumerate(groups):
        ids[row, : len(group)] = torch.tensor(group, dtype=torch.long)
    return ids, ids != PAD


def collate_views(views: Sequence[View]) -> Batch:
    """Pad a list of views into one `Batch`."""
    std, re_, title = zip(*views, strict=True)
    return Batch(*_pad(std), *_pad(re_), *_pad(title))


def collate(
    samples: Sequence[tuple[View, View, int]],
) -> tuple[Batch, Batch, torch.Tensor]:
    """The DataLoader collate: (view-1 batch, view-2 batch, item indices); row i of each is
    the same item."""
    first, second, indices = zip(*samples, strict=True)
    return collate_views(first), collate_views(second), torch.tensor(indices)
