"""The VLM fine-tune path without a GPU: a tiny Mllama built from a config, the training set's
conversations with their images, the collator's inputs and labels, the trainer configuration, a
real training step on the CPU, the asset through the Pipes launcher, and the retraining sensor."""

import io
import json

import dagster as dg
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from transformers import AutoProcessor

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.defs.resources import build_resources
from fashion_assets.defs.sensors import vlm_retrain
from fashion_assets.defs.vlm import vlm_adapter
from fashion_assets.instructions.generator import generate
from fashion_assets.instructions.training_set import conversations
from fashion_assets.settings import Settings
from fashion_assets.storage import LocalObjectStore
from fashion_assets.vlm.chat import has_image, image_loader, with_images
from fashion_assets.vlm.collator import IGNORE, VisionChatCollator
from fashion_assets.vlm.finetune import FinetuneConfig, finetune, sft_config
from fashion_assets.vlm.registry import latest_adapter
from fashion_assets_tests.pipeline import materialize, materialize_ingest
from serving.app import create_app


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Conversations from the real generator, with images in a local store."""
    store = LocalObjectStore(tmp_path_factory.mktemp("objects"))
    rows = demo_item_rows(60)
    for i, row in enumerate(rows):
        buf = io.BytesIO()
        Image.new("RGB", (90 + i, 120), (i * 4 % 255, 80, 160)).save(buf, "JPEG")
        store.put(row["image_key"], buf.getvalue())
    train = conversations(generate(rows), eval_percent=0)["train"]
    return store, train


def test_conversations_carry_their_images_into_the_chat_template(tiny_vlm, records):
    store, train = records
    processor = AutoProcessor.from_pretrained(tiny_vlm)
    pictured = next(r for r in train if has_image(r))
    text_only = next(r for r in train if not has_image(r))
    messages = with_images(pictured, image_loader(store))
    [image] = [p["image"] for m in messages for p in m["content"] if p["type"] == "image"]
    assert image.size == Image.open(io.BytesIO(store.get(pictured["image_key"]))).size
    rendered = processor.apply_chat_template(messages, tokenize=False)
    assert (
        rendered.count("<|image|>") == 1
        and pictured["messages"][1]["content"][0]["text"] in rendered
    )
    assert "<|image|>" not in processor.apply_chat_template(
        with_images(text_only, image_loader(store)), tokenize=False
    )


def test_collator_builds_inputs_and_masks_labels(tiny_vlm, records):
    store, train = records
    processor = AutoProcessor.from_pretrained(tiny_vlm)
    collate = VisionChatCollator(processor, image_loader(store))
    pictured = [r for r in train if has_image(r)][:3]
    batch = collate(pictured)
    assert batch["pixel_values"].shape[0] == 3 and batch["input_ids"].shape == batch["labels"].shape
    image_id = processor.tokenizer.convert_tokens_to_ids("<|image|>")
    pad_id = processor.tokenizer.pad_token_id
    ids, labels = batch["input_ids"], batch["labels"]
    assert ((ids == image_id) | (ids == pad_id)).eq(labels == IGNORE).all()
    assert torch.equal(labels[labels != IGNORE], ids[labels != IGNORE])
    assert (ids[:, 0] == processor.tokenizer.bos_token_id).all() and (
        ids == processor.tokenizer.bos_token_id
    ).sum() == 3
    text_only = collate([r for r in train if not has_image(r)][:2])
    assert "pixel_values" not in text_only
    with pytest.raises(ValueError, match="per_device_train_batch_size=1"):
        collate([pictured[0], next(r for r in train if not has_image(r))])


def test_trainer_configuration_for_vision_fine_tuning(tmp_path):
    args = sft_config(FinetuneConfig(), tmp_path, use_cpu=True)
    assert args.remove_unused_columns is False and args.dataset_kwargs == {
        "skip_prepare_dataset": True
    }
    assert args.loss_type == "nll" and args.use_cpu and args.optim == "adamw_torch"
    assert args.per_device_train_batch_size == 1 and args.gradient_accumulation_steps == 8
    assert (
        FinetuneConfig().base_model == "unsloth/Llama-3.2-11B-Vision-Instruct"
        and FinetuneConfig().load_in_4bit
    )
    with pytest.raises(ValueError, match="unknown fine-tune settings"):
        FinetuneConfig.from_dict({"rank": 4})


def test_a_real_training_step_on_the_cpu_changes_only_the_lora_weights(tiny_vlm, records, tmp_path):
    store, train = records
    config = FinetuneConfig(base_model=str(tiny_vlm), max_steps=3, grad_accum=2, logging_steps=1,
                            warmup_steps=0, learning_rate=1e-2)  # fmt: skip
    logged = []
    result = finetune(
        "transformers", config, train[:8], train[8:10], image_loader(store), tmp_path, logged.append
    )
    assert result.steps == 3 and len(result.losses) == 3 and result.eval_loss is not None
    assert all(torch.isfinite(torch.tensor(loss)) for _, loss in result.losses)
    assert any(line.startswith("step 1:") for line in logged)
    lora = {n: p for n, p in result.model.named_parameters() if "lora_B" in n}
    assert lora and any(p.abs().sum() > 0 for p in lora.values())  # B starts at zero
    assert all(not p.requires_grad for n, p in result.model.named_parameters() if "lora_" not in n)
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        finetune("unsloth", config, train[:2], [], image_loader(store), tmp_path)


def test_vlm_adapter_asset_trains_through_the_launcher(ingest_env, tiny_vlm):
    from fashion_assets.defs.instructions import instruction_data, vlm_training_set

    assert materialize_ingest().success
    assert materialize([instruction_data], "2026-11-20").success
    assert materialize([vlm_training_set]).success
    refused = materialize([vlm_adapter], raise_on_error=False)
    [failure] = [e for e in refused.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "needs a GPU" in str(failure.event_specific_data.error)
    config = {"ops": {"vlm_adapter": {"config": {"base_model": str(tiny_vlm), "allow_cpu": True,
                                                  "max_steps": 2, "limit": 16, "logging_steps": 1}}}}  # fmt: skip
    result = materialize([vlm_adapter], run_config=config)
    meta = result.asset_materializations_for_node("vlm_adapter")[0].metadata
    assert meta["backend"].value == "transformers" and meta["steps"].value == 2
    assert meta["train_conversations"].value == 16 and "loss_curve" in meta
    store = build_resources(Settings())["objects"].store()
    latest = latest_adapter(store)
    assert store.exists(f"{latest['adapter']}/adapter_config.json")
    assert store.exists(f"{latest['adapter']}/adapter_model.safetensors")

    # the VLM service on `latest` serves this adapter, and the next one without a restart
    settings = Settings(fashion_vlm_base_model=str(tiny_vlm), fashion_vlm_adapter="latest")
    chat = {"messages": [{"role": "user", "content": "이 옷의 속성은?"}], "max_tokens": 3}
    with TestClient(create_app(["vlm"], settings)) as service:
        first = service.post("/v1/chat/completions", json=chat).json()["model"]
        assert first.endswith(f"+{latest['adapter']}")
        assert materialize([vlm_adapter], run_config=config).success
        newer = latest_adapter(store)["adapter"]
        assert newer != latest["adapter"]
        assert service.post("/v1/chat/completions", json=chat).json()["model"].endswith(f"+{newer}")


def test_vlm_retraining_is_at_most_daily_and_needs_growth(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_STORAGE_ROOT", str(tmp_path / "objects"))
    resources = build_resources(Settings())
    objects = resources["objects"]
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(cursor=None):
        with dg.build_sensor_context(
            instance=instance, cursor=cursor,
            resources={"objects": objects, "retrain": resources["retrain"]},
        ) as ctx:  # fmt: skip
            return vlm_retrain(ctx)

    assert "no VLM training set" in evaluate().skip_message
    store = objects.store()
    store.put("training/vlm/manifest.json", json.dumps({"train": 1000, "eval": 50}).encode())
    first = evaluate()
    assert len(first.run_requests) == 1
    assert "at most one a day" in evaluate(first.cursor).skip_message
    instance.report_runless_asset_event(
        dg.AssetMaterialization("vlm_adapter", metadata={"training_set_train": 1000})
    )
    store.put("training/vlm/manifest.json", json.dumps({"train": 1100, "eval": 50}).encode())
    assert "below +20%" in evaluate().skip_message
    store.put("training/vlm/manifest.json", json.dumps({"train": 1300, "eval": 50}).encode())
    assert len(evaluate("2026-11-01T00:00:00+00:00").run_requests) == 1
