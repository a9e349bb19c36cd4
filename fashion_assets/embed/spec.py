"""Which CLIP model to load and how to run it (no torch: the Dagster definitions read it)."""

from __future__ import annotations

from dataclasses import dataclass

#: the registered tiny architecture, the offline default (embed/clip.py makes its weights)
TINY = "fashion-tiny"


@dataclass(frozen=True)
class ClipSpec:
    """Which model to load and how to run it."""

    model: str = TINY
    pretrained: str = ""
    device: str = "auto"
    precision: str = "fp32"
    batch_size: int = 64
