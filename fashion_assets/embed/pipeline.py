"""Embedding items: images stream from the object store through a DataLoader (decoding in
worker processes overlaps the model), texts are the title plus the attributes."""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from fashion_assets.catalog.labels import label
from fashion_assets.embed.clip import ClipEncoder
from fashion_assets.storage import ObjectStore


def item_text(row: Mapping[str, Any]) -> str:
    """The text embedded for an item: its title, then category, colour, season and gender."""
    attributes = ", ".join(
        label(field, row[field], "en") for field in ("category", "color", "season", "gender")
    )
    return f"{row['title']}. {attributes}"


class _Images(Dataset):
    def __init__(self, keys: Sequence[str], store: ObjectStore, preprocess: Callable):
        self.keys, self.store, self.preprocess = list(keys), store, preprocess

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> torch.Tensor:
        with Image.open(io.BytesIO(self.store.get(self.keys[i]))) as img:
            return self.preprocess(img.convert("RGB"))


def _workers(store: ObjectStore) -> int:
    try:
        pickle.dumps(store)  # worker processes need their own copy of the store
    except (TypeError, pickle.PicklingError, AttributeError):
        return 0
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def load_pixels(preprocess: Callable, store: ObjectStore, keys: Sequence[str]) -> torch.Tensor:
    """Preprocessed images for object-store keys as one tensor, decoded in DataLoader workers
    (what training keeps in memory instead of decoding every epoch)."""
    loader = DataLoader(_Images(keys, store, preprocess), batch_size=256,
                        num_workers=_workers(store))  # fmt: skip
    return torch.cat(list(loader))


def embed_images(
    encoder: ClipEncoder,
    store: ObjectStore,
    keys: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Image embeddings for object-store keys, decoded in DataLoader workers."""
    if not keys:
        return np.zeros((0, encoder.dim), np.float32)
    loader = DataLoader(
        _Images(keys, store, encoder.preprocess),
        batch_size=encoder.spec.batch_size,
        num_workers=_workers(store),
    )
    chunks, done = [], 0
    for batch in loader:
        chunks.append(encoder.encode_image_batch(batch))
        done += len(batch)
        if progress:
            progress(done, len(keys))
    return np.concatenate(chunks)


def embed_rows(
    encoder: ClipEncoder,
    store: ObjectStore,
    rows: Sequence[Mapping[str, Any]],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Image and text embeddings for `rows` (each with `image_key` and the attributes)."""
    images = embed_images(encoder, store, [r["image_key"] for r in rows], progress)
    return images, encoder.encode_texts([item_text(r) for r in rows])
