"""The VLM fine-tune job: LoRA on the vision-language model over `vlm_training_set`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch
from dagster_pipes import PipesContext

from fashion_assets.report import loss_curve_png
from fashion_assets.storage import ObjectStore, put_folder
from fashion_assets.vlm.chat import image_loader, read_jsonl
from fashion_assets.vlm.finetune import FinetuneConfig, finetune


def pick_backend(requested: str = "auto") -> str:
    """'unsloth' on a GPU, 'transformers' otherwise, unless one was asked for."""
    if requested != "auto":
        return requested
    return "unsloth" if torch.cuda.is_available() else "transformers"


def run_vlm_finetune(pipes: PipesContext, store: ObjectStore) -> dict[str, Any]:
    """Extras: train_key, eval_key (JSON Lines of the training set), output_prefix
    (runs/<run id>), config (FinetuneConfig values), backend, limit (optional: first N
    conversations, for smoke runs). Writes <output_prefix>/adapter (and merged_16bit)."""
    extras = pipes.extras
    config = FinetuneConfig.from_dict(extras.get("config") or {})
    prefix = extras["output_prefix"]
    backend = pick_backend(extras.get("backend", "auto"))
    limit = extras.get("limit")
    train = read_jsonl(store, extras["train_key"])[:limit]
    evals = read_jsonl(store, extras["eval_key"])[:limit]
    pipes.log.info(f"fine-tuning {config.base_model} with {backend} on {len(train)} conversations")
    with tempfile.TemporaryDirectory() as tmp:
        result = finetune(backend, config, train, evals, image_loader(store), Path(tmp) / "trainer",
                          pipes.log.info)  # fmt: skip
        adapter = Path(tmp) / "adapter"
        result.model.save_pretrained(adapter)
        result.processor.save_pretrained(adapter)
        keys = put_folder(store, adapter, f"{prefix}/adapter")
        if config.merge_16bit:
            merged = Path(tmp) / "merged_16bit"
            if backend == "unsloth":
                result.model.save_pretrained_merged(
                    merged, result.processor, save_method="merged_16bit"
                )
            else:
                result.model.merge_and_unload().to(torch.bfloat16).save_pretrained(merged)
                result.processor.save_pretrained(merged)
            keys += put_folder(store, merged, f"{prefix}/merged_16bit")
    losses = [loss for _, loss in result.losses]
    if losses:
        store.put(f"{prefix}/loss.png", loss_curve_png(losses, ylabel="SFT loss"), "image/png")
    return {
        "adapter": f"{prefix}/adapter",
        "files": len(keys),
        "backend": backend,
        "base_model": config.base_model,
        "train_conversations": len(train),
        "steps": result.steps,
        "steps_per_s": round(result.steps_per_s, 3),
        "train_seconds": round(result.seconds, 1),
        "final_loss": round(losses[-1], 4) if losses else None,
        "eval_loss": round(result.eval_loss, 4) if result.eval_loss is not None else None,
        "loss_curve": [[step, round(loss, 4)] for step, loss in result.losses],
        "peak_gpu_memory_mb": (
            round(result.peak_gpu_memory_mb, 1) if result.peak_gpu_memory_mb is not None else None
        ),
    }
