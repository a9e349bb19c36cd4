"""The tower: cross-attention from STD (query) to RE + Title (keys/values), pooled to h.

    h = norm(body(STD, RE, Title))   the item embedding that is served
    body = out(pooled cross-attention) + bag(mean of the RE + Title tokens)
    z = head(h)                      the projection the contrastive loss sees

The body is checkpoint pth1; the final normalisation (seed 004's "model 2": a BatchNorm without
learned scale, whose running statistics centre and scale h) and the head are pth2. Serving
drops the head: the served vector is the L2-normalised h. The bag path is a residual: what
the item states reaches h directly, and attention adds how the parts relate (measured: without
it colour and gender neighbours fall well behind a TF-IDF of the same tokens).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import TowerConfig
from .dataset import Batch
from .tokens import ATTRIBUTE_IDS, PAD

_STD, _RE, _TITLE = 0, 1, 2


class TowerBody(nn.Module):
    """Embeds the three token groups and lets STD ask RE and Title what the item is like."""

    def __init__(self, config: TowerConfig, title_vocab: int):
        super().__init__()
        d = config.dim
        self.attributes = nn.Embedding(len(ATTRIBUTE_IDS), d, padding_idx=PAD)
        self.title = nn.Embedding(title_vocab, d, padding_idx=PAD)
        self.title_position = nn.Embedding(config.max_title_len, d)
        self.group = nn.Embedding(3, d)
        # a key/value that is always there, so an item with no RE and no title still attends
        self.null_kv = nn.Parameter(torch.zeros(1, 1, d))
        self.cross = nn.MultiheadAttention(d, config.heads, dropout=config.dropout,
                                           batch_first=True)  # fmt: skip
        self.norm1 = nn.LayerNorm(d)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.norm2 = nn.LayerNorm(d)
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(d, d)
        self.bag = nn.Linear(d, d)

    def forward(self, batch: Batch) -> torch.Tensor:
        """h: one vector of width `dim` per item."""
        std = self.dropout(self.attributes(batch.std_ids) + self.group.weight[_STD])
        re_ = self.attributes(batch.re_ids) + self.group.weight[_RE]
        positions = torch.arange(batch.title_ids.shape[1], device=batch.title_ids.device)
        title = (
            self.title(batch.title_ids) + self.title_position(positions) + self.group.weight[_TITLE]
        )
        null = self.null_kv.expand(std.shape[0], -1, -1)
        kv = self.dropout(torch.cat([null, re_, title], dim=1))
        present = torch.cat(
            [torch.ones_like(batch.std_mask[:, :1]), batch.re_mask, batch.title_mask], dim=1
        )
        attended, _ = self.cross(std, kv, kv, key_padding_mask=~present, need_weights=False)
        x = self.norm1(std + self.dropout(attended))
        x = self.norm2(x + self.dropout(self.ffn(x)))
        query_mask = batch.std_mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * query_mask).sum(1) / query_mask.sum(1).clamp(min=1.0)
        kv_mask = present[:, 1:].unsqueeze(-1).to(x.dtype)  # RE + Title, without the null
        bag = (kv[:, 1:] * kv_mask).sum(1) / kv_mask.sum(1).clamp(min=1.0)
        return self.out(pooled) + self.bag(bag)


class ProjectionHead(nn.Module):
    """SimCLR's MLP head with its normalisation: h -> z (training only)."""

    def __init__(self, config: TowerConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.dim, config.dim),
            nn.BatchNorm1d(config.dim),
            nn.ReLU(),
            nn.Linear(config.dim, config.proj_dim),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """z for the loss."""
        return self.net(h)


def final_norm(config: TowerConfig) -> nn.BatchNorm1d:
    """The final normalisation of h (running mean and variance, no learned affine)."""
    return nn.BatchNorm1d(config.dim, affine=False)


def serve(body: TowerBody, norm: nn.BatchNorm1d, batch: Batch) -> torch.Tensor:
    """The served embedding: L2-normalised h, computed without dropout or gradients."""
    body.eval()
    norm.eval()
    with torch.no_grad():
        return F.normalize(norm(body(batch)), dim=-1)
