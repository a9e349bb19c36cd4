"""CLIP service: text and image embeddings with the pipeline's encoder."""

from __future__ import annotations

from typing import Annotated

import torch
from fastapi import APIRouter, File, UploadFile

from .schemas import EmbeddingsOut, TextsIn
from .state import ServiceState, State
from .uploads import read_upload

router = APIRouter(tags=["clip"])


@router.post("/embed/text", response_model=EmbeddingsOut)
async def embed_text(body: TextsIn, s: State) -> EmbeddingsOut:
    """CLIP text embeddings (L2-normalised), one per text."""
    return await s.run(lambda: _embeddings(s, s.encode_texts(body.texts)))


@router.post("/embed/image", response_model=EmbeddingsOut)
async def embed_image(file: Annotated[UploadFile, File()], s: State) -> EmbeddingsOut:
    """The CLIP embedding of an uploaded image (JPEG, PNG, WebP or GIF)."""

    def work() -> EmbeddingsOut:
        image = read_upload(file, s.settings.fashion_max_upload_bytes)
        return _embeddings(s, image_vectors(s, [image]))

    return await s.run(work)


def _embeddings(s: ServiceState, vectors) -> EmbeddingsOut:
    # in the pool too: reading the encoder may load it (after a promoted model's swap)
    return EmbeddingsOut(model_version=s.encoder.version, dim=s.encoder.dim,
                         embeddings=vectors.tolist())  # fmt: skip


def image_vectors(s: ServiceState, images: list) -> torch.Tensor:
    """CLIP embeddings of PIL images."""
    with torch.inference_mode():
        return s.encoder.encode_image_batch(torch.stack([s.encoder.preprocess(i) for i in images]))
