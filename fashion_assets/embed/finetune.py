"""Contrastive fine-tuning of a CLIP model on the catalogue's image-text pairs, and the
evaluation that decides whether the tuned model is better.

Each item pairs its photo with texts a shopper or a shop would write, in Korean and English:
its title, its attribute phrase ("블랙 겨울 코트 여성" / "black winter coat women's") and the
text `item_vectors` embeds. A step draws one text per item, so the model sees both languages.
The loss is open_clip's own (`ClipLoss`, or `SigLipLoss` for models with a logit bias) and the
learning rate follows open_clip_train's warmup + cosine schedule.

Evaluation on held-out items (never trained on): text->image and image->text Recall@1/@10 and
MRR over the held-out pool, and precision@10 of attribute queries built from the vocabulary
("블랙 겨울 코트", "black winter coat") in each language, where a hit is an item with every
attribute the query names.
"""

from __future__ import annotations

import copy
import hashlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from open_clip.loss import ClipLoss, SigLipLoss
from open_clip_train.scheduler import cosine_lr

from fashion_assets.catalog.labels import audience, label
from fashion_assets.embed.pipeline import item_text
from fashion_assets.instructions.training_set import by_hash, split_of

Row = Mapping[str, Any]
#: The gate's aggregate metric and the metrics none of which may collapse.
GATE_METRIC = "score"
GATE_KEYS = ("t2i_r1", "t2i_r10", "t2i_mrr", "i2t_mrr", "attr_p10_ko", "attr_p10_en")
#: Attribute combinations the query set is built from (the garment is always named).
QUERY_FIELDS = (("color",), ("season",), ("gender",), ("color", "season"))


@dataclass(frozen=True)
class FinetuneConfig:
    """Training and evaluation settings (the defaults suit the tiny model on a CPU)."""

    epochs: int = 12
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.1
    warmup_steps: int = 20
    eval_percent: float = 20.0
    max_eval_items: int = 1000
    max_train_items: int = 20_000
    max_queries: int = 300
    max_seconds: float = 0.0  # 0 = no time limit; else stop after the epoch that passes it
    seed: int = 0

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> FinetuneConfig:
        """A config from plain values (unknown keys are an error)."""
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fine-tuning settings: {sorted(unknown)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return asdict(self)


def attribute_query(row: Row, fields: Sequence[str], language: str) -> str:
    """A shopper's attribute query for an item: the named attributes, then the garment."""
    words = []
    for name in ("color", "season", "gender"):
        if name in fields:
            words.append(audience(row["gender"], row.get("age_group") or "adult", language)
                         if name == "gender" else label(name, row[name], language))  # fmt: skip
    return " ".join([*words, label("category", row["category"], language)])


def item_texts(row: Row) -> list[str]:
    """The texts an item's photo is paired with in training (Korean and English)."""
    every = ("color", "season", "gender")
    return [str(row["title"]), attribute_query(row, every, "ko"),
            attribute_query(row, every, "en"), item_text(row)]  # fmt: skip


def split_items(rows: Sequence[Row], config: FinetuneConfig) -> tuple[list[Row], list[Row]]:
    """(training rows, held-out rows) by a stable hash of the item id."""
    parts: dict[str, list[Row]] = {"train": [], "eval": []}
    for row in rows:
        parts[split_of(str(row["item_id"]), config.eval_percent)].append(row)
    train, held = parts["train"], parts["eval"]
    return by_hash(train)[: config.max_train_items], by_hash(held)[: config.max_eval_items]


@dataclass
class Tuned:
    """A fine-tuned model and how training went."""

    model: torch.nn.Module
    epoch_losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    pairs_per_s: float = 0.0


def finetune(
    model: torch.nn.Module,
    tokenizer: Callable,
    pixels: torch.Tensor,
    rows: Sequence[Row],
    config: FinetuneConfig,
    device: str = "cpu",
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> Tuned:
    """Contrastive training of a copy of `model` on (pixels[i], a text of rows[i]) pairs."""
    if len(rows) < 2:
        raise ValueError(f"{len(rows)} training items: contrastive tuning needs at least 2")
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    tuned = copy.deepcopy(model).to(device).train()
    bias = getattr(tuned, "logit_bias", None) is not None
    loss_fn = SigLipLoss() if bias else ClipLoss()
    params = [p for p in tuned.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    batch = min(config.batch_size, max(2, len(rows) // 4))  # a small catalogue: more steps
    steps_per_epoch = len(rows) // batch
    schedule = cosine_lr(optimizer, config.lr, config.warmup_steps,
                         steps_per_epoch * config.epochs)  # fmt: skip
    texts = [item_texts(r) for r in rows]
    result, step, started = Tuned(tuned), 0, time.perf_counter()
    for epoch in range(config.epochs):
        epoch_started, losses = time.perf_counter(), []
        order = torch.randperm(len(rows))
        for start in range(0, steps_per_epoch * batch, batch):
            index = order[start : start + batch]
            schedule(step)
            tokens = tokenizer([rng.choice(texts[i]) for i in index.tolist()]).to(device)
            loss = loss_fn(*tuned(pixels[index].to(device), tokens))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            step += 1
        result.epoch_losses.append(float(np.mean(losses)))
        if on_epoch:
            on_epoch(epoch, result.epoch_losses[-1], time.perf_counter() - epoch_started)
        if config.max_seconds and time.perf_counter() - started > config.max_seconds:
            break
    result.seconds = time.perf_counter() - started
    result.pairs_per_s = step * batch / max(result.seconds, 1e-9)
    result.model = tuned.eval()
    return result


def _ranks(queries: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Rank (0-based) of gallery[i] for query i."""
    scores = queries @ gallery.T
    own = np.diag(scores)[:, None]
    return (scores > own).sum(axis=1)


def _retrieval(prefix: str, ranks: np.ndarray) -> dict[str, float]:
    return {
        f"{prefix}_r1": float(np.mean(ranks < 1)),
        f"{prefix}_r10": float(np.mean(ranks < 10)),
        f"{prefix}_mrr": float(np.mean(1.0 / (ranks + 1))),
    }


def attribute_queries(rows: Sequence[Row], limit: int) -> list[tuple[str, str, frozenset[int]]]:
    """(language, query, relevant row indices) for the attribute queries the rows answer, at
    most `limit` per language in a stable order. A query's relevant rows are those that
    produce it: every row with the attributes it names."""
    found = []
    for language in ("ko", "en"):
        relevant: dict[str, set[int]] = {}
        for fields in QUERY_FIELDS:
            for i, row in enumerate(rows):
                relevant.setdefault(attribute_query(row, fields, language), set()).add(i)
        ranked = sorted(relevant, key=lambda q: hashlib.sha256(q.encode()).digest())[:limit]
        found += [(language, q, frozenset(relevant[q])) for q in ranked]
    return found


@torch.inference_mode()
def _encode_images(model: torch.nn.Module, pixels: torch.Tensor, device: str) -> np.ndarray:
    chunks = [
        model.encode_image(pixels[i : i + 256].to(device)) for i in range(0, len(pixels), 256)
    ]
    return torch.nn.functional.normalize(torch.cat(chunks).float(), dim=-1).cpu().numpy()


@torch.inference_mode()
def _encode_texts(model: torch.nn.Module, tokenizer: Callable, texts: Sequence[str],
                  device: str) -> np.ndarray:  # fmt: skip
    chunks = [model.encode_text(tokenizer(list(texts[i : i + 256])).to(device))
              for i in range(0, len(texts), 256)]  # fmt: skip
    return torch.nn.functional.normalize(torch.cat(chunks).float(), dim=-1).cpu().numpy()


def evaluate(
    model: torch.nn.Module,
    tokenizer: Callable,
    pixels: torch.Tensor,
    rows: Sequence[Row],
    device: str = "cpu",
    max_queries: int = 300,
) -> dict[str, float]:
    """Retrieval metrics of one model on held-out items (see the module docstring)."""
    model = model.to(device).eval()
    images = _encode_images(model, pixels, device)

    def encode_texts(texts: Sequence[str]) -> np.ndarray:
        return _encode_texts(model, tokenizer, texts, device)

    texts = encode_texts([item_text(r) for r in rows])
    metrics = {
        **_retrieval("t2i", _ranks(texts, images)),
        **_retrieval("i2t", _ranks(images, texts)),
    }
    queries = attribute_queries(rows, max_queries)
    vectors = encode_texts([q for _, q, _ in queries])
    for language in ("ko", "en"):
        scores = []
        for (lang, _, relevant), vector in zip(queries, vectors, strict=True):
            if lang != language:
                continue
            top = np.argsort(-(images @ vector), kind="stable")[:10]
            scores.append(len(relevant.intersection(top.tolist())) / min(10, len(relevant)))
        metrics[f"attr_p10_{language}"] = float(np.mean(scores)) if scores else 0.0
        metrics[f"attr_queries_{language}"] = float(len(scores))
    metrics[GATE_METRIC] = float(np.mean([metrics["t2i_mrr"], metrics["i2t_mrr"],
                                          metrics["attr_p10_ko"], metrics["attr_p10_en"]]))  # fmt: skip
    return metrics
