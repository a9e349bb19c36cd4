"""Batches for vision fine-tuning: chat template, processor, labels.

`VisionChatCollator` is the plain-transformers collator (CPU, tests, any GPU without Unsloth):
the chat template renders each conversation, the processor tokenizes text and tiles images, and
labels copy the input ids with padding and image tokens set to -100. `UnslothCollator` feeds the
same records to Unsloth's `UnslothVisionDataCollator`. Records hold image keys; images are read
from the object store as batches are built, so the training set never sits in memory as pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from PIL import Image

from .chat import Record, has_image, with_images

IGNORE = -100


class VisionChatCollator:
    """records -> input_ids, attention_mask, pixel values, ..., labels."""

    def __init__(self, processor: Any, load_image: Callable[[str], Image.Image],
                 max_length: int | None = None):  # fmt: skip
        self.processor = processor
        self.load_image = load_image
        self.max_length = max_length
        tokenizer = processor.tokenizer
        self.pad_id = tokenizer.pad_token_id
        self.image_id = tokenizer.convert_tokens_to_ids(
            getattr(processor, "image_token", "<|image|>")
        )

    def __call__(self, records: Sequence[Record]) -> dict[str, torch.Tensor]:
        with_image = [has_image(r) for r in records]
        if any(with_image) and not all(with_image):
            raise ValueError(
                "a batch mixes conversations with and without an image, which Mllama's processor "
                "refuses: use per_device_train_batch_size=1 with gradient accumulation"
            )
        messages = [with_images(r, self.load_image) for r in records]
        texts = [self.processor.apply_chat_template(m, tokenize=False) for m in messages]
        images = [[p["image"] for m in msgs for p in m["content"] if p.get("type") == "image"]
                  for msgs in messages] if all(with_image) else None  # fmt: skip
        batch = self.processor(
            text=texts, images=images, return_tensors="pt", padding=True,
            add_special_tokens=False, truncation=self.max_length is not None,
            max_length=self.max_length,
        )  # fmt: skip
        labels = batch["input_ids"].clone()
        labels[labels == self.pad_id] = IGNORE
        labels[labels == self.image_id] = IGNORE
        batch["labels"] = labels
        return dict(batch)


class UnslothCollator:
    """Our records through Unsloth's vision collator (GPU only)."""

    def __init__(self, inner: Callable[[list[dict[str, Any]]], Any],
                 load_image: Callable[[str], Image.Image]):  # fmt: skip
        self.inner = inner
        self.load_image = load_image

    def __call__(self, records: Sequence[Record]) -> Any:
        return self.inner([{"messages": with_images(r, self.load_image)} for r in records])
