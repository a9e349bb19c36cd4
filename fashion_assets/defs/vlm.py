"""The VLM adapter: LoRA fine-tune of the vision-language model on `vlm_training_set`, run by
the training launcher (a RunPod GPU pod in production)."""

import base64
import json

import dagster as dg

from fashion_assets.report import loss_curve_png
from fashion_assets.vlm.registry import record_latest

from .instructions import TRAINING_PREFIX, vlm_training_set
from .launchers import TrainingLauncherResource
from .policies import GPU_POOL
from .resources import ObjectStoreResource, VlmResource

GROUP = "vlm"


class VlmAdapterConfig(dg.Config):
    """Fine-tune settings; the recipe's other values are FinetuneConfig's defaults."""

    base_model: str = ""  # empty: FASHION_VLM_BASE_MODEL
    backend: str = "auto"  # auto (unsloth on a GPU), unsloth, transformers
    epochs: float = 1.0
    max_steps: int = -1
    logging_steps: int = 5
    merge_16bit: bool = False
    limit: int | None = None  # first N conversations only (smoke runs)
    allow_cpu: bool = False  # run on this CPU (only sensible for a tiny local model)


@dg.asset(
    group_name=GROUP,
    deps=[vlm_training_set],
    pool=GPU_POOL,
    kinds={"pytorch", "unsloth", "runpod"},
    description="A LoRA adapter for the vision-language model (runs/<run id>/adapter), trained "
    "with Unsloth + TRL on a GPU: a RunPod pod when FASHION_TRAINING_BACKEND=runpod.",
)
def vlm_adapter(
    context: dg.AssetExecutionContext,
    config: VlmAdapterConfig,
    objects: ObjectStoreResource,
    trainer: TrainingLauncherResource,
    vlm: VlmResource,
) -> dg.MaterializeResult:
    """Launch the fine-tune and record where the adapter is."""
    import torch  # the step's import: the definitions load without torch

    if trainer.backend == "local" and not torch.cuda.is_available() and not config.allow_cpu:
        raise dg.Failure(
            "fine-tuning the VLM needs a GPU and this machine has none: set "
            "FASHION_TRAINING_BACKEND=runpod (and the RunPod settings in the README), run it "
            "where a GPU is, or set allow_cpu for a tiny local model"
        )
    store = objects.store()
    manifest = json.loads(store.get(f"{TRAINING_PREFIX}/manifest.json"))
    prefix = f"runs/{context.run_id}"
    base_model = config.base_model or vlm.base_model
    finetune = {"base_model": base_model, "epochs": config.epochs, "max_steps": config.max_steps,
                "logging_steps": config.logging_steps,
                "merge_16bit": config.merge_16bit}  # fmt: skip
    launched = trainer.run(
        context,
        "vlm_finetune",
        {
            "train_key": f"{TRAINING_PREFIX}/train.jsonl",
            "eval_key": f"{TRAINING_PREFIX}/eval.jsonl",
            "output_prefix": prefix,
            "config": finetune,
            "backend": config.backend,
            "limit": config.limit,
        },
        objects.env(),
    )
    result = launched.materialize_result()
    metadata = dict(result.metadata or {})
    curve = metadata.pop("loss_curve", None)
    losses = [loss for _, loss in (curve.value if curve is not None else [])]
    if losses:
        png = base64.b64encode(loss_curve_png(losses, ylabel="SFT loss")).decode()
        metadata["loss_curve"] = dg.MetadataValue.md(f"![loss](data:image/png;base64,{png})")
    record_latest(store, f"{prefix}/adapter", base_model)
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "training_set_train": manifest["train"],
            "path": dg.MetadataValue.path(store.uri(f"{prefix}/adapter")),
        }
    )
