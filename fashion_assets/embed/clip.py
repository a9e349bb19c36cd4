"""CLIP image and text encoders (open_clip), with an offline default.

`pretrained` may be
- "" with the registered tiny architecture `fashion-tiny` (the default): weights are made
  locally from a fixed seed on first use and kept under FASHION_HOME/models;
- a local weights file (`.pt`, `.bin`, `.safetensors`): always works offline;
- a model folder (`open_clip_config.json` + weights): pass it as `local-dir:/path` model name,
  or give the folder as `pretrained`;
- an open_clip tag (`laion2b_s34b_b79k`): needs the network or a warm cache. Without either it
  fails at once with what to set, instead of retrying for a minute.

The model version (what embeddings are keyed by) is `name@tag` for tags and `name@sha256:<..>`
of the weights file otherwise, so a changed file re-encodes everything.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import torch
from PIL import Image

from .spec import TINY, ClipSpec

#: shipped with the package: embed_dim 64, 2-layer vision and text towers, the bundled tokenizer
TINY_CONFIG_PATH = Path(__file__).with_name("model_configs") / f"{TINY}.json"
_registered = threading.Lock()


class ModelUnavailable(RuntimeError):
    """The requested weights cannot be loaded here; the message says what to set."""


def _open_clip():
    import open_clip

    with _registered:
        if TINY not in open_clip.list_models():
            open_clip.add_model_config(TINY_CONFIG_PATH)
    return open_clip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tiny_weights(home: Path) -> Path:
    """The tiny model's weights file, made from a fixed seed on first use."""
    path = Path(home) / "models" / f"{TINY}-seed0.pt"
    if not path.exists():
        open_clip = _open_clip()
        torch.manual_seed(0)
        logging.disable(
            logging.WARNING
        )  # open_clip warns that no weights were loaded: we make them
        try:
            model = open_clip.create_model(TINY, pretrained=None)
        finally:
            logging.disable(logging.NOTSET)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    return path


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = urlsplit(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or ""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


class ClipEncoder:
    """L2-normalised image and text embeddings from one open_clip model."""

    def __init__(self, spec: ClipSpec, home: Path):
        open_clip = _open_clip()
        self.spec = spec
        self.device = (
            ("cuda" if torch.cuda.is_available() else "cpu")
            if spec.device == "auto"
            else spec.device
        )
        name, pretrained = spec.model, spec.pretrained
        if name == TINY and not pretrained:
            pretrained = str(tiny_weights(home))
        path = Path(pretrained).expanduser() if pretrained else None
        if path is not None and path.is_dir():
            name, pretrained, path = f"local-dir:{path}", None, None
        if name.startswith("local-dir:"):
            folder = Path(name.removeprefix("local-dir:"))
            weights = sorted(
                p for p in folder.iterdir() if p.suffix in (".bin", ".pth", ".safetensors")
            )
            self.version = f"{folder.name}@sha256:{_sha256(weights[0])[:16]}" if weights else name
        elif path is not None and path.is_file():
            self.version = f"{name}@sha256:{_sha256(path)[:16]}"
        elif pretrained and (
            ("/" in pretrained) or pretrained.endswith((".pt", ".bin", ".safetensors"))
        ):
            raise ModelUnavailable(f"weights file {pretrained} does not exist")
        elif pretrained:
            if not _hub_reachable():
                raise ModelUnavailable(
                    f"{name}/{pretrained} needs the model hub, which is not reachable (or "
                    "HF_HUB_OFFLINE is set and it is not cached). Download the weights elsewhere "
                    "and set FASHION_CLIP_PRETRAINED=/path/to/open_clip_model.safetensors, or "
                    "FASHION_CLIP_MODEL=local-dir:/path/to/folder."
                )
            self.version = f"{name}@{pretrained}"
        else:
            self.version = f"{name}@random"
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                name, pretrained=pretrained or None, precision=spec.precision, device=self.device
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelUnavailable(
                f"cannot load {name} with {pretrained or 'no weights'}: {exc}"
            ) from exc
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(name)
        with torch.inference_mode():
            self.dim = int(model.encode_text(self.tokenizer(["x"]).to(self.device)).shape[-1])
        self.calls = {"images": 0, "texts": 0}

    @torch.inference_mode()
    def encode_image_batch(self, pixels: torch.Tensor) -> np.ndarray:
        """Embeddings of a preprocessed image batch."""
        self.calls["images"] += len(pixels)
        out = self.model.encode_image(pixels.to(self.device))
        return torch.nn.functional.normalize(out.float(), dim=-1).cpu().numpy()

    @torch.inference_mode()
    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of texts, in batches."""
        chunks = []
        for i in range(0, len(texts), self.spec.batch_size):
            batch = list(texts[i : i + self.spec.batch_size])
            self.calls["texts"] += len(batch)
            out = self.model.encode_text(self.tokenizer(batch).to(self.device))
            chunks.append(torch.nn.functional.normalize(out.float(), dim=-1).cpu().numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, self.dim), np.float32)

    def pixels(self, data: bytes) -> torch.Tensor:
        """Decode and preprocess one image."""
        with Image.open(io.BytesIO(data)) as img:
            return self.preprocess(img.convert("RGB"))
