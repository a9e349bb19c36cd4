"""Training: two views per item, z from the projection head, NT-Xent over the 2N embeddings."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from pytorch_metric_learning.losses import NTXentLoss
from tokenizers import Tokenizer
from torch.utils.data import DataLoader

from fashion_assets.instructions.training_set import split_of

from .config import TowerConfig
from .dataset import SimCSERecSysDataset, collate
from .model import ProjectionHead, TowerBody, final_norm
from .title_tokenizer import encode_titles, train_title_tokenizer
from .tokens import ItemTokens, item_tokens

Row = Mapping[str, Any]


def split_rows(rows: Sequence[Row], config: TowerConfig) -> tuple[list[Row], list[Row]]:
    """(training rows, held-out rows) by a stable hash of the item id; quick mode keeps a
    stable `quick_items` subset of the training rows. Held-out items are never trained on by
    any checkpoint, so checkpoints compare fairly on them."""
    train, held_out = [], []
    for row in rows:
        (
            held_out if split_of(str(row["item_id"]), config.eval_percent) == "eval" else train
        ).append(row)
    if config.quick_items:
        train.sort(key=lambda r: hashlib.sha256(str(r["item_id"]).encode()).digest())
        train = train[: config.quick_items]
    return train, held_out


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
    embeddings of the batch are its negatives."""
    return loss_fn(torch.cat([z1, z2]), pair_labels(len(z1)).to(z1.device))


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
    dataset = SimCSERecSysDataset(items, config.attr_dropout, config.title_mask, config.seed)
    batch_size = min(config.batch_size, len(dataset))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, collate_fn=collate,
                        generator=generator, drop_last=True)  # fmt: skip
    body = TowerBody(config, tokenizer.get_vocab_size()).to(device)
    norm = final_norm(config).to(device)
    head = ProjectionHead(config).to(device)
    optimizer = torch.optim.AdamW(
        [*body.parameters(), *head.parameters()], lr=config.lr, weight_decay=config.weight_decay
    )
    loss_fn = NTXentLoss(temperature=config.temperature)
    result = Trained(body, norm, head, tokenizer, config, len(items))
    for epoch in range(config.epochs):
        dataset.epoch = epoch
        for part in (body, norm, head):
            part.train()
        started, losses = time.perf_counter(), []
        for view1, view2 in loader:
            z1 = head(norm(body(view1.to(device))))
            z2 = head(norm(body(view2.to(device))))
            loss = contrastive_loss(loss_fn, z1, z2)
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
