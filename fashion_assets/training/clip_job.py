"""The CLIP fine-tuning job: evaluate the base (and the promoted) model, tune, evaluate the
tuned model on the same held-out items, save the tuned weights and the metrics."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import torch
from dagster_pipes import PipesContext

from fashion_assets.embed.clip import ClipEncoder
from fashion_assets.embed.finetune import FinetuneConfig, evaluate, finetune, split_items
from fashion_assets.embed.pipeline import load_pixels
from fashion_assets.embed.spec import ClipSpec
from fashion_assets.settings import Settings
from fashion_assets.storage import ObjectStore
from fashion_assets.storage.parquet import read_parquet

from .item_tower_job import pick_device


def run_clip_finetune(pipes: PipesContext, store: ObjectStore) -> dict[str, Any]:
    """Extras: items_key (parquet of item rows with image keys), output_prefix, model,
    pretrained (the base), champion (weights key of the promoted model or None), config
    (FinetuneConfig values), device. Returns the metadata to report."""
    extras: dict[str, Any] = pipes.extras
    config = FinetuneConfig.from_dict(extras.get("config") or {})
    prefix, device = extras["output_prefix"], pick_device(extras.get("device", "auto"))
    home = Settings().home
    base = ClipEncoder(ClipSpec(extras["model"], extras.get("pretrained", ""), device), home)
    rows = read_parquet(store, extras["items_key"]).to_dict("records")
    train_rows, held = split_items(rows, config)
    if len(held) < 10 or len(train_rows) < 2:
        raise ValueError(f"{len(rows)} items give {len(train_rows)} to train on and {len(held)} "
                         "to evaluate: too few (at least 10 held out); crawl more items")  # fmt: skip
    pipes.log.info(f"tuning {base.version} on {len(train_rows)} items ({device}), "
                   f"{len(held)} held out")  # fmt: skip
    train_pixels = load_pixels(base.preprocess, store, [r["image_key"] for r in train_rows])
    held_pixels = load_pixels(base.preprocess, store, [r["image_key"] for r in held])
    results = {"base": evaluate(base.model, base.tokenizer, held_pixels, held, device,
                                config.max_queries)}  # fmt: skip
    if extras.get("champion"):
        with tempfile.TemporaryDirectory() as tmp:
            weights = Path(tmp) / "champion.pt"
            weights.write_bytes(store.get(extras["champion"]))
            champion = ClipEncoder(ClipSpec(extras["model"], str(weights), device), home)
            results["champion"] = evaluate(champion.model, champion.tokenizer, held_pixels, held,
                                           device, config.max_queries)  # fmt: skip

    def on_epoch(epoch: int, loss: float, seconds: float) -> None:
        pipes.log.info(f"epoch {epoch + 1}/{config.epochs}: loss {loss:.4f} in {seconds:.1f} s")

    tuned = finetune(base.model, base.tokenizer, train_pixels, train_rows, config, device,
                     on_epoch)  # fmt: skip
    results["tuned"] = evaluate(tuned.model, base.tokenizer, held_pixels, held, device,
                                config.max_queries)  # fmt: skip
    buffer = io.BytesIO()
    torch.save({k: v.cpu() for k, v in tuned.model.state_dict().items()}, buffer)
    store.put(f"{prefix}/weights.pt", buffer.getvalue())
    metrics = {
        "base_version": base.version,
        "train_items": len(train_rows),
        "eval_items": len(held),
        "device": device,
        "epochs": len(tuned.epoch_losses),
        "epoch_losses": tuned.epoch_losses,
        "train_seconds": round(tuned.seconds, 1),
        "pairs_per_s": round(tuned.pairs_per_s, 1),
        "evaluation": results,
    }
    store.put(f"{prefix}/metrics.json", json.dumps(metrics).encode())
    return {
        "weights": f"{prefix}/weights.pt",
        "train_items": len(train_rows),
        "eval_items": len(held),
        "device": device,
        "train_seconds": metrics["train_seconds"],
        "final_loss": round(tuned.epoch_losses[-1], 4),
    }
