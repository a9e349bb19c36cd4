"""Training: two views per item; NT-Xent over the 2N projections z (each item's views are
positives) plus SupCon on h, where items sharing their STD + RE tokens, and items sharing a
label, are positives too (pytorch-metric-learning's losses)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from pytorch_metric_learning.losses import NTXentLoss, SupConLoss
from tokenizers import Tokenizer
from torch.utils.data import DataLoader

from fashion_assets.instructions.training_set import by_hash, split_of

from .config import LOSS_LABELS, TowerConfig
from .dataset import SimCSERecSysDataset, collate
from .model import ProjectionHead, TowerBody, final_norm
from .title_tokenizer import encode_titles, train_title_tokenizer
from .tokens import ItemTokens, item_tokens, signature_labels

Row = Mapping[str, Any]


#: Held-out shares tried in turn until `min_eval_items` are held out (never more than half).
EVAL_LADDER = (20.0, 25.0, 30.0, 40.0, 50.0)


def held_out_percent(n: int, config: TowerConfig) -> float:
    """The held-out share for `n` items: `eval_percent`, raised along `EVAL_LADDER` until about
    `min_eval_items` items are held out. The buckets nest, so an item held out at one share
    stays held out at a larger one."""
    for pct in (config.eval_percent, *(p for p in EVAL_LADDER if p > config.eval_percent)):
        if n * pct / 100 >= config.min_eval_items:
            return pct
    return max(config.eval_percent, EVAL_LADDER[-1])


def split_rows(rows: Sequence[Row], config: TowerConfig) -> tuple[list[Row], list[Row]]:
    """(training rows, held-out rows) by a stable hash of the item id (see `held_out_percent`;
    at most `max_eval_items` are scored); quick mode keeps a stable `quick_items` subset of the
    training rows. Held-out items are never trained on, so checkpoints compare fairly."""
    pct = held_out_percent(len(rows), config)
    train, held_out = [], []
    for row in rows:
        (held_out if split_of(str(row["item_id"]), pct) == "eval" else train).append(row)
    if config.quick_items:
        train = by_hash(train)[: config.quick_items]
    return train, by_hash(held_out)[: config.max_eval_items]


def tokenize_rows(
    rows: Sequence[Row], tokenizer: Tokenizer, config: TowerConfig
) -> list[ItemTokens]:
    """Rows -> token groups with this tokenizer."""
    titles = encode_titles(tokenizer, [str(r["title"]) for r in rows], config.max_title_len)
    return [item_tokens(r, t) for r, t in zip(rows, titles, strict=True)]


def pair_labels(n: int) -> torch.Tensor:
    """Labels for `cat([z1, z2])`: row i and row n+i are the same item (the positive pair)."""
    return torch.arange(n).repeat(2)


def contrastive_loss(loss_fn: NTXentLoss, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """NT-Xent over both views: each embedding's positive is its other view, the other 2N-2
    embeddings are its negatives."""
    return loss_fn(torch.cat([z1, z2]), pair_labels(len(z1)).to(z1.device))


def loss_labels(rows: Sequence[Row], items: Sequence[ItemTokens]) -> torch.Tensor:
    """One row per item: its STD + RE signature, then an id per value of each LOSS_LABELS
    column (a missing value is a value of its own)."""
    columns = [signature_labels(items)]
    for label in LOSS_LABELS:
        ids: dict[str, int] = {}
        columns.append([ids.setdefault(str(r.get(label)), len(ids)) for r in rows])
    return torch.tensor(columns, dtype=torch.long).T


class TowerLoss(torch.nn.Module):
    """The training loss of one batch (see TowerConfig for its terms and their weights). Its
    label heads are small linear maps of h trained with it and dropped afterwards: each label
    gets a subspace of h, so one label's clusters do not flatten the others."""

    def __init__(self, config: TowerConfig):
        super().__init__()
        self.config = config
        self.instance = NTXentLoss(temperature=config.temperature)
        self.supcon = SupConLoss(temperature=config.label_temperature)
        self.heads = torch.nn.ModuleList(
            torch.nn.Linear(config.dim, config.label_head_dim) for _ in LOSS_LABELS
        )

    def forward(self, z1: torch.Tensor, z2: torch.Tensor, h1: torch.Tensor, h2: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:  # fmt: skip
        """`labels`: the batch's rows of `loss_labels` (signature first)."""
        c = self.config
        loss = c.instance_weight * contrastive_loss(self.instance, z1, z2)
        h, both = torch.cat([h1, h2]), labels.repeat(2, 1).to(h1.device)
        if c.signature_weight:
            loss = loss + c.signature_weight * self.supcon(h, both[:, 0])
        if c.category_weight:
            loss = loss + c.category_weight * self.supcon(h, both[:, 1])
        for column, (head, weight) in enumerate(zip(self.heads, c.label_weights, strict=True), 1):
            if weight:
                loss = loss + weight * self.supcon(head(h), both[:, column])
        return loss


@dataclass
class Trained:
    """A trained tower and how the training went."""

    body: TowerBody
    norm: torch.nn.BatchNorm1d
    head: ProjectionHead
    tokenizer: Tokenizer
    config: TowerConfig
    train_items: int
    step_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def samples_per_s(self) -> float:
        """Items (each as two views) per second of training, over all epochs."""
        seconds = sum(self.epoch_seconds)
        return self.train_items * len(self.epoch_seconds) / seconds if seconds else 0.0


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; returns a generator for the data loader's shuffling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def train(
    rows: Sequence[Row],
    config: TowerConfig,
    device: str = "cpu",
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> Trained:
    """Train a tokenizer and a tower on the training split of `rows`.

    `on_epoch(epoch, mean_loss, seconds)` is called after each epoch (progress and metrics)."""
    generator = seed_everything(config.seed)
    train_rows, _ = split_rows(rows, config)
    if len(train_rows) < 2:
        raise ValueError(f"need at least 2 training items, got {len(train_rows)}")
    tokenizer = train_title_tokenizer(
        [str(r["title"]) for r in train_rows], config.title_vocab_size
    )
    items = tokenize_rows(train_rows, tokenizer, config)
    labels = loss_labels(train_rows, items)
    dataset = SimCSERecSysDataset(items, config.attr_dropout, config.title_mask, config.seed,
                                  config.label_dropout)  # fmt: skip
    batch_size = min(config.batch_size, len(dataset))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, collate_fn=collate,
                        generator=generator, drop_last=True)  # fmt: skip
    body = TowerBody(config, tokenizer.get_vocab_size()).to(device)
    norm = final_norm(config).to(device)
    head = ProjectionHead(config).to(device)
    loss_fn = TowerLoss(config).to(device)
    optimizer = torch.optim.AdamW(
        [*body.parameters(), *head.parameters(), *loss_fn.parameters()],
        lr=config.lr, weight_decay=config.weight_decay,
    )  # fmt: skip
    result = Trained(body, norm, head, tokenizer, config, len(items))
    for epoch in range(config.epochs):
        dataset.epoch = epoch
        for part in (body, norm, head, loss_fn):
            part.train()
        started, losses = time.perf_counter(), []
        for view1, view2, index in loader:
            h1, h2 = norm(body(view1.to(device))), norm(body(view2.to(device)))
            loss = loss_fn(head(h1), head(h2), h1, h2, labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        seconds = time.perf_counter() - started
        result.step_losses += losses
        result.epoch_losses.append(float(np.mean(losses)))
        result.epoch_seconds.append(seconds)
        if on_epoch:
            on_epoch(epoch, result.epoch_losses[-1], seconds)
    for part in (body, norm, head):
        part.eval()
    return result
