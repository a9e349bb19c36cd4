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
def embed_text(body: TextsIn, s: State) -> EmbeddingsOut:
    """CLIP text embeddings (L2-normalised), one per text."""
    vectors = s.encoder.encode_texts(body.texts)
    return EmbeddingsOut(model_version=s.encoder.version, dim=s.encoder.dim,
                         embeddings=vectors.tolist())  # fmt: skip


@router.post("/embed/image", response_model=EmbeddingsOut)
def embed_image(file: Annotated[UploadFile, File()], s: State) -> EmbeddingsOut:
    """The CLIP embedding of an uploaded image (JPEG, PNG, WebP or GIF)."""
    image = read_upload(file, s.settings.fashion_max_upload_bytes)
    return EmbeddingsOut(model_version=s.encoder.version, dim=s.encoder.dim,
                         embeddings=image_vectors(s, [image]).tolist())  # fmt: skip


def image_vectors(s: ServiceState, images: list) -> torch.Tensor:
    """CLIP embeddings of PIL images."""
    with torch.inference_mode():
        return s.encoder.encode_image_batch(torch.stack([s.encoder.preprocess(i) for i in images]))
