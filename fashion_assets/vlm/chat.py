"""Conversations of the VLM training set, with their images, as the processors want them."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from PIL import Image

from fashion_assets.storage import ObjectStore

Record = Mapping[str, Any]


def read_jsonl(store: ObjectStore, key: str) -> list[dict[str, Any]]:
    """Records of a JSON Lines object (the training set's train/eval files)."""
    text = store.get(key).decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def has_image(record: Record) -> bool:
    """Whether the conversation shows the item's image."""
    return any(p.get("type") == "image" for m in record["messages"] for p in m["content"])


def image_loader(store: ObjectStore) -> Callable[[str], Image.Image]:
    """key -> RGB image from the object store."""

    def load(key: str) -> Image.Image:
        return Image.open(io.BytesIO(store.get(key))).convert("RGB")

    return load


def with_images(record: Record, load: Callable[[str], Image.Image]) -> list[dict[str, Any]]:
    """The record's messages with each image part carrying the loaded image (the format of
    Unsloth's vision collator and of processors' chat templates)."""
    image = load(record["image_key"]) if has_image(record) else None
    return [
        {**m, "content": [{**p, "image": image} if p.get("type") == "image" else p
                          for p in m["content"]]}
        for m in record["messages"]
    ]  # fmt: skip
