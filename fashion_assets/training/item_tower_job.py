"""The item tower training job: train, evaluate against the baseline and the champion, save."""

from __future__ import annotations

from typing import Any

import torch
from dagster_pipes import PipesContext

from fashion_assets.itemtower.checkpoint import IncompatibleCheckpoint, load_tower, save_checkpoint
from fashion_assets.itemtower.config import TowerConfig
from fashion_assets.itemtower.evaluate import (
    EvalSet,
    baseline_headroom,
    evaluate_baselines,
    evaluate_tower,
)
from fashion_assets.itemtower.train import split_rows, train
from fashion_assets.storage import ObjectStore
from fashion_assets.storage.parquet import read_parquet

#: Training items the linear probe is fitted on (a stable subset).
PROBE_ITEMS = 2000


def pick_device(requested: str = "auto") -> str:
    """'cuda' when a GPU is there and nothing else was asked for, else what was asked."""
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def run_item_tower(pipes: PipesContext, store: ObjectStore) -> dict[str, Any]:
    """Extras: items_key (parquet of item rows), output_prefix, config (TowerConfig values),
    champion (the serving checkpoint's prefix or None), device. Returns the metadata to report."""
    extras: dict[str, Any] = pipes.extras
    config = TowerConfig.from_dict(extras.get("config") or {})
    prefix = extras["output_prefix"]
    device = pick_device(extras.get("device", "auto"))
    rows = read_parquet(store, extras["items_key"]).to_dict("records")
    train_rows, held_out = split_rows(rows, config)
    if len(held_out) < 3:
        raise ValueError(
            f"only {len(held_out)} held-out items among {len(rows)}: too few to evaluate; "
            "crawl more items or raise eval_percent"
        )
    pipes.log.info(f"training on {len(train_rows)} items ({device}), {len(held_out)} held out")

    def on_epoch(epoch: int, loss: float, seconds: float) -> None:
        pipes.log.info(f"epoch {epoch + 1}/{config.epochs}: loss {loss:.4f} in {seconds:.1f} s")

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    trained = train(rows, config, device, on_epoch)
    eval_set = EvalSet(held_out, train_rows[:PROBE_ITEMS])
    results = evaluate_tower(trained.body, trained.norm, trained.head, trained.tokenizer, config,
                             eval_set, device)  # fmt: skip
    results.update(evaluate_baselines(trained.tokenizer, config, eval_set))
    champion, champion_note = extras.get("champion"), None
    if champion:
        try:
            old = load_tower(store, champion)
        except IncompatibleCheckpoint as exc:  # an older tower: it cannot be scored here
            champion_note = str(exc)
            pipes.log.warning(f"champion not scored: {exc}")
        else:
            results["champion"] = evaluate_tower(
                old.body, old.norm, None, old.tokenizer, old.config, eval_set
            )["h"]
    metrics = {
        "train_items": trained.train_items,
        "eval_items": len(held_out),
        "device": device,
        "samples_per_s": round(trained.samples_per_s, 1),
        "epoch_seconds": [round(s, 3) for s in trained.epoch_seconds],
        "epoch_losses": trained.epoch_losses,
        "step_losses": trained.step_losses,
        "evaluation": results,
        "label_headroom": baseline_headroom(results, eval_set),
        "champion": champion,
        "champion_note": champion_note,
        "peak_gpu_memory_mb": (
            round(torch.cuda.max_memory_allocated() / 2**20, 1)
            if device.startswith("cuda")
            else None
        ),
    }
    trained.body.cpu()
    trained.norm.cpu()
    trained.head.cpu()
    save_checkpoint(store, prefix, trained, metrics)
    return {
        "checkpoint": prefix,
        "train_items": trained.train_items,
        "eval_items": len(held_out),
        "device": device,
        "samples_per_s": metrics["samples_per_s"],
        "epoch_seconds_mean": round(sum(trained.epoch_seconds) / len(trained.epoch_seconds), 2),
        "final_loss": round(trained.epoch_losses[-1], 4),
    }
