"""Instruction assets: daily instruction parquet, then the merged VLM training set."""

import json

import dagster as dg
import pandas as pd

from fashion_assets.instructions.augment import augment_rows
from fashion_assets.instructions.generator import COLUMNS, GeneratorConfig, generate
from fashion_assets.instructions.quality import audit, contradictions
from fashion_assets.instructions.templates import TEMPLATE_VERSION
from fashion_assets.instructions.training_set import (
    MIN_PER_ITEM,
    conversations,
    counts_by,
    instructions_per_item,
    merge_partitions,
    missing_coverage,
    schema_problems,
    split_overlap,
    to_jsonl,
)
from fashion_assets.storage import ObjectStore
from fashion_assets.storage.parquet import read_parquet

from .metadata import frame_metadata, md_table
from .partitions import daily_partitions
from .policies import after_upstream
from .resources import AugmenterResource, ObjectStoreResource, ParquetObjectStoreIOManager

GROUP = "instructions"
TRAINING_PREFIX = "training/vlm"


class InstructionConfig(dg.Config):
    """Generator settings (defaults are what the schedule and backfills use)."""

    language: str = "ko"
    seed: int = 0
    extra_tasks_per_item: int = 1
    shopping_every: int = 5


def _missing_images(store: ObjectStore, keys) -> list[str]:
    return sorted(k for k in set(keys) if k and not store.exists(k))


@dg.asset(
    partitions_def=daily_partitions,
    group_name=GROUP,
    code_version=TEMPLATE_VERSION,
    kinds={"pandas", "parquet"},
    check_specs=[
        dg.AssetCheckSpec("schema_valid", asset="instruction_data", blocking=True),
        dg.AssetCheckSpec("image_keys_exist", asset="instruction_data", blocking=True),
        dg.AssetCheckSpec(
            "one_answer_per_image",
            asset="instruction_data",
            blocking=True,
            description="No two rows with the same image and task give different answers.",
        ),
        dg.AssetCheckSpec(
            "instruction_quality",
            asset="instruction_data",
            description="Ungrounded claims, contradictions, Korean particle errors and unmet "
            "request constraints per task (all 0 to pass), with sample rows per task.",
        ),
    ],
    description="Instruction pairs for the day's items: one parquet per partition in the object "
    "store (instruction_id, item_id, task, season, category, category_specification, language, "
    "messages, image_key, template_id, generator_version).",
)
def instruction_data(
    context: dg.AssetExecutionContext,
    config: InstructionConfig,
    objects: ObjectStoreResource,
    augmenter: AugmenterResource,
    filtered_items: pd.DataFrame,
):
    """Generate the partition's instructions (optionally paraphrased) and check them."""
    store = objects.store()
    gen = GeneratorConfig(
        language=config.language,
        seed=config.seed,
        extra_tasks_per_item=config.extra_tasks_per_item,
        shopping_every=config.shopping_every,
    )
    rows = generate(filtered_items.to_dict("records"), gen)
    aug = augmenter.augmenter(store)
    if aug is not None:
        rows = augment_rows(rows, aug)
        context.log.info(f"augmentation: {dict(aug.stats)}")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    items = max(1, filtered_items["item_id"].nunique()) if len(filtered_items) else 1
    pivot = (
        pd.crosstab([frame["task"], frame["season"]], frame["category"]).reset_index()
        if len(frame)
        else frame
    )
    yield dg.Output(
        frame,
        metadata={
            **frame_metadata(frame),
            "instructions": len(frame),
            "per_item": round(len(frame) / items, 2),
            "by_task": counts_by(rows, "task"),
            "task_season_category": md_table(pivot, rows=100),
            "augmentation": dict(aug.stats) if aug else "off",
            "generator_version": TEMPLATE_VERSION,
            "sample": md_table(frame[["task", "item_id", "template_id", "messages"]]),
        },
    )
    bad = schema_problems(rows)
    yield dg.AssetCheckResult(
        check_name="schema_valid", passed=not bad, metadata={"problems": bad[:20]}
    )
    missing = _missing_images(store, (r["image_key"] for r in rows))
    yield dg.AssetCheckResult(
        check_name="image_keys_exist", passed=not missing, metadata={"missing": missing[:20]}
    )
    yield _one_answer_per_image(rows)
    report = audit(rows, filtered_items.to_dict("records"))
    samples = [
        {"task": task, "prompt": q, "answer": a}
        for task, pairs in report.samples.items()
        for q, a in pairs
    ]
    yield dg.AssetCheckResult(
        check_name="instruction_quality",
        passed=report.clean(),
        metadata={
            "by_task": md_table(pd.DataFrame(report.table()), rows=20),
            "examples": dg.MetadataValue.json(dict(report.examples)),
            "samples": md_table(pd.DataFrame(samples), rows=30),
        },
    )


def _one_answer_per_image(rows) -> dg.AssetCheckResult:
    conflicts = contradictions(rows)
    return dg.AssetCheckResult(
        check_name="one_answer_per_image",
        passed=not conflicts,
        metadata={
            "conflicts": len(conflicts),
            "examples": dg.MetadataValue.json(
                {" ".join(key): answers for key, answers in list(conflicts.items())[:5]}
            ),
        },
    )


class TrainingSetConfig(dg.Config):
    """How the training set is split."""

    eval_percent: float = 5.0


@dg.asset(
    group_name=GROUP,
    deps=[dg.AssetDep("instruction_data", partition_mapping=dg.AllPartitionMapping())],
    automation_condition=after_upstream(),
    kinds={"json"},
    check_specs=[
        dg.AssetCheckSpec("no_item_in_both_splits", asset="vlm_training_set", blocking=True),
        dg.AssetCheckSpec("instructions_per_item", asset="vlm_training_set"),
        dg.AssetCheckSpec("seasons_and_specs_present", asset="vlm_training_set"),
        dg.AssetCheckSpec("image_keys_exist", asset="vlm_training_set", blocking=True),
        dg.AssetCheckSpec("one_answer_per_image", asset="vlm_training_set", blocking=True),
    ],
    description=f"Every instruction partition merged into the conversation format of unsloth's "
    f"vision fine-tuning: {TRAINING_PREFIX}/train.jsonl and eval.jsonl, split by item.",
)
def vlm_training_set(
    context: dg.AssetExecutionContext, config: TrainingSetConfig, objects: ObjectStoreResource
):
    """Merge the materialized instruction partitions (latest wins), split, write JSON Lines."""
    store = objects.store()
    frames = []
    for key in store.keys(ParquetObjectStoreIOManager.prefix_for(["instruction_data"])):
        frame = read_parquet(store, key)
        frame["partition"] = key.rsplit("/", 1)[-1].removesuffix(".parquet")
        frames.append(frame)
    if not frames:
        raise dg.Failure("no instruction_data partition is materialized yet: materialize one first")
    rows = merge_partitions(pd.concat(frames, ignore_index=True).to_dict("records"))
    splits = conversations(rows, config.eval_percent)
    for name, records in splits.items():
        store.put(f"{TRAINING_PREFIX}/{name}.jsonl", to_jsonl(records), "application/jsonl")
    manifest = {
        "partitions": len(frames),
        "train": len(splits["train"]),
        "eval": len(splits["eval"]),
        "generator_versions": sorted({r["generator_version"] for r in rows}),
    }
    store.put(f"{TRAINING_PREFIX}/manifest.json", json.dumps(manifest).encode())
    context.log.info(f"training set: {manifest}")
    yield dg.MaterializeResult(
        metadata={
            **manifest,
            **frame_metadata(pd.DataFrame(splits["train"] + splits["eval"])),
            "train_path": dg.MetadataValue.path(store.uri(f"{TRAINING_PREFIX}/train.jsonl")),
            "eval_path": dg.MetadataValue.path(store.uri(f"{TRAINING_PREFIX}/eval.jsonl")),
            "by_task": counts_by(rows, "task"),
        }
    )
    overlap = sorted(split_overlap(splits))
    yield dg.AssetCheckResult(
        check_name="no_item_in_both_splits", passed=not overlap, metadata={"items": overlap[:20]}
    )
    per_item = instructions_per_item(rows)
    yield dg.AssetCheckResult(
        check_name="instructions_per_item",
        passed=per_item >= MIN_PER_ITEM,
        metadata={"per_item": round(per_item, 2), "minimum": MIN_PER_ITEM},
    )
    absent = missing_coverage(rows)
    yield dg.AssetCheckResult(
        check_name="seasons_and_specs_present", passed=not absent, metadata={"missing": absent}
    )
    missing = _missing_images(store, (r["image_key"] for r in rows))
    yield dg.AssetCheckResult(
        check_name="image_keys_exist", passed=not missing, metadata={"missing": missing[:20]}
    )
    yield _one_answer_per_image(rows)
