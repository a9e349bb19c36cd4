"""Pictures of training runs for asset metadata (item tower, VLM)."""

from __future__ import annotations

import io
from collections.abc import Sequence


def loss_curve_png(step_losses: Sequence[float], epoch_losses: Sequence[float] = (),
                   ylabel: str = "NT-Xent loss") -> bytes:  # fmt: skip
    """A PNG of a loss per step, with the per-epoch mean on top when given."""
    import matplotlib  # heavy: imported by the step, not the defs

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.plot(range(1, len(step_losses) + 1), step_losses, lw=0.8, alpha=0.5, label="step")
    if epoch_losses:
        per_epoch = len(step_losses) / len(epoch_losses)
        ax.plot([per_epoch * (i + 1) for i in range(len(epoch_losses))], epoch_losses,
                marker="o", ms=3, label="epoch mean")  # fmt: skip
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
