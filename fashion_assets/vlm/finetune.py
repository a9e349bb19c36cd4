"""The VLM fine-tune recipe: LoRA on a vision-language model with TRL's SFTTrainer.

Two ways to load the model, one recipe: `unsloth` (GPU: FastVisionModel in 4-bit, its
get_peft_model and UnslothVisionDataCollator; imported only here, since importing unsloth
without a GPU raises) and `transformers` (plain transformers + peft; CPU or any GPU).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from PIL import Image
from transformers import TrainerCallback
from trl import SFTConfig, SFTTrainer

from .collator import UnslothCollator, VisionChatCollator

DEFAULT_BASE_MODEL = "unsloth/Llama-3.2-11B-Vision-Instruct"
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass(frozen=True)
class FinetuneConfig:
    """What and how long to train. Defaults follow Unsloth's Llama 3.2 Vision recipe."""

    base_model: str = DEFAULT_BASE_MODEL
    load_in_4bit: bool = True
    lora_r: int = 16
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    learning_rate: float = 2e-4
    epochs: float = 1.0
    max_steps: int = -1  # >0 overrides epochs
    batch_size: int = 1  # Mllama's processor refuses batches mixing text-only and image rows
    grad_accum: int = 8
    warmup_steps: int = 5
    max_length: int = 2048
    logging_steps: int = 5
    seed: int = 3407
    merge_16bit: bool = False  # also write a merged 16-bit model

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FinetuneConfig:
        """From `to_dict` output (unknown keys are an error)."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fine-tune settings: {sorted(unknown)}")
        return cls(**values)


def sft_config(config: FinetuneConfig, output_dir: str | Path, use_cpu: bool) -> SFTConfig:
    """TRL settings for vision fine-tuning: the collator does all preprocessing, so the
    trainer must keep every column and skip its own dataset preparation."""
    bf16 = not use_cpu and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return SFTConfig(
        output_dir=str(output_dir),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        warmup_steps=config.warmup_steps,
        logging_steps=config.logging_steps,
        optim="adamw_torch" if use_cpu else "adamw_8bit",
        weight_decay=0.01,
        lr_scheduler_type="linear",
        seed=config.seed,
        bf16=bf16,
        fp16=False,
        use_cpu=use_cpu,
        report_to="none",
        save_strategy="no",
        remove_unused_columns=False,
        dataset_text_field="",
        dataset_kwargs={"skip_prepare_dataset": True},
        max_length=config.max_length,
        loss_type="nll",  # the plain loss: runs on CPU and GPU alike
    )  # fmt: skip


def load_with_transformers(config: FinetuneConfig, device: str) -> tuple[Any, Any]:
    """Model + processor with plain transformers, LoRA from peft on the language model."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(config.base_model)
    model = AutoModelForImageTextToText.from_pretrained(config.base_model).to(device)
    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout, target_modules=LORA_TARGETS,
                      task_type="CAUSAL_LM")  # fmt: skip
    return get_peft_model(model, lora), processor


def load_with_unsloth(config: FinetuneConfig) -> tuple[Any, Any, Callable]:
    """Model + processor + collator through Unsloth (needs a CUDA GPU)."""
    from unsloth import FastVisionModel
    from unsloth.trainer import UnslothVisionDataCollator

    model, processor = FastVisionModel.from_pretrained(
        config.base_model, load_in_4bit=config.load_in_4bit,
        use_gradient_checkpointing="unsloth",
    )  # fmt: skip
    model = FastVisionModel.get_peft_model(
        model, finetune_vision_layers=True, finetune_language_layers=True,
        finetune_attention_modules=True, finetune_mlp_modules=True, r=config.lora_r,
        lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout, bias="none",
        random_state=config.seed,
    )  # fmt: skip
    FastVisionModel.for_training(model)
    return model, processor, UnslothVisionDataCollator(model, processor)


class MetricsCallback(TrainerCallback):
    """Collects the loss curve and forwards each log line."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.losses: list[tuple[int, float]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append((state.global_step, float(logs["loss"])))
        if logs:
            self.log(f"step {state.global_step}: " + ", ".join(f"{k} {v}" for k, v in logs.items()))


@dataclass
class FinetuneResult:
    """What a fine-tune produced."""

    model: Any
    processor: Any
    losses: list[tuple[int, float]]
    eval_loss: float | None
    steps: int
    steps_per_s: float
    seconds: float
    peak_gpu_memory_mb: float | None


def finetune(
    backend: str,
    config: FinetuneConfig,
    train_records: Sequence[dict[str, Any]],
    eval_records: Sequence[dict[str, Any]],
    load_image: Callable[[str], Image.Image],
    output_dir: str | Path,
    log: Callable[[str], None] = print,
) -> FinetuneResult:
    """Fine-tune with `backend` ('unsloth' or 'transformers') and return the trained model."""
    use_cpu = not torch.cuda.is_available()
    if backend == "unsloth":
        if use_cpu:
            raise RuntimeError("the unsloth backend needs a CUDA GPU; use 'transformers' on CPU")
        model, processor, inner = load_with_unsloth(config)
        collator: Callable = UnslothCollator(inner, load_image)
    elif backend == "transformers":
        model, processor = load_with_transformers(config, "cpu" if use_cpu else "cuda")
        collator = VisionChatCollator(processor, load_image, config.max_length)
    else:
        raise ValueError(f"unknown fine-tune backend {backend!r}: 'unsloth' or 'transformers'")
    if not use_cpu:
        torch.cuda.reset_peak_memory_stats()
    callback = MetricsCallback(log)
    trainer = SFTTrainer(
        model=model,
        args=sft_config(config, output_dir, use_cpu),
        train_dataset=Dataset.from_list(list(train_records)),
        eval_dataset=Dataset.from_list(list(eval_records)) if eval_records else None,
        data_collator=collator,
        processing_class=processor.tokenizer if backend == "transformers" else processor,
        callbacks=[callback],
    )
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    eval_loss = trainer.evaluate()["eval_loss"] if eval_records else None
    return FinetuneResult(
        model, processor, callback.losses, eval_loss, output.global_step,
        output.metrics.get("train_steps_per_second", output.global_step / seconds), seconds,
        None if use_cpu else torch.cuda.max_memory_allocated() / 2**20,
    )  # fmt: skip
