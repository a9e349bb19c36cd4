"""instruction_data and vlm_training_set in Dagster: a real backfill, the training set, checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from fashion_assets.defs.instructions import instruction_data, vlm_training_set
from fashion_assets.defs.resources import ParquetObjectStoreIOManager
from fashion_assets.instructions.templates import TEMPLATE_VERSION
from fashion_assets.instructions.training_set import schema_problems, split_of
from fashion_assets.storage import LocalObjectStore
from fashion_assets.storage.parquet import read_parquet, write_parquet
from fashion_assets_tests.pipeline import REPO, materialize, materialize_ingest
from fashion_assets_tests.test_instructions import ChatServer

PARTITIONS = ["2026-11-18", "2026-11-19", "2026-11-20"]


def _store(env: dict[str, str]) -> LocalObjectStore:
    return LocalObjectStore(Path(env["FASHION_HOME"]) / "objects")


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_backfill_three_partitions_from_the_cli_through_the_daemon(ingest_env, monkeypatch):
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "80")
    for partition in PARTITIONS:
        assert materialize_ingest(partition).success
    env = {**os.environ, **ingest_env, "FASHION_DEMO_ITEMS": "80"}
    # create the instance's storage first: two processes creating it at once race on SQLite
    instance = dg.DagsterInstance.get()
    daemon = subprocess.Popen(
        [_bin("dagster-daemon"), "run", "-w", "workspace.yaml"], env=env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        launched = subprocess.run(
            [_bin("dagster"), "job", "backfill", "-w", "workspace.yaml", "-j", "instruction_job",
             "--from", PARTITIONS[0], "--to", PARTITIONS[-1], "--noprompt"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert launched.returncode == 0, launched.stderr[-3000:]
        deadline = time.monotonic() + 300
        while True:
            runs = instance.get_runs(dg.RunsFilter(job_name="instruction_job"))
            done = [r for r in runs if r.is_finished]
            if len(done) == len(PARTITIONS):
                break
            assert time.monotonic() < deadline, [r.status for r in runs]
            time.sleep(1)
        assert all(r.is_success for r in done), [r.status for r in done]
        assert sorted(r.tags["dagster/partition"] for r in done) == PARTITIONS
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=30)
    store = _store(ingest_env)
    for partition in PARTITIONS:
        key = ParquetObjectStoreIOManager.key_for(["instruction_data"], partition)
        rows = read_parquet(store, key).to_dict("records")
        assert rows and schema_problems(rows) == []
        assert {r["generator_version"] for r in rows} == {TEMPLATE_VERSION}
        assert all(store.exists(r["image_key"]) for r in rows if r["image_key"])
    event = instance.get_latest_materialization_event(dg.AssetKey("instruction_data"))
    assert event.asset_materialization.tags["dagster/code_version"] == TEMPLATE_VERSION


def test_training_set_from_the_materialized_partitions(ingest_env):
    for partition in PARTITIONS[:2]:
        assert materialize_ingest(partition).success
        assert materialize([instruction_data], partition).success
    result = materialize([vlm_training_set])
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"no_item_in_both_splits": True, "instructions_per_item": True,
                      "seasons_and_specs_present": True, "image_keys_exist": True,
                      "one_answer_per_image": True}  # fmt: skip
    store = _store(ingest_env)
    splits = {
        name: [json.loads(line) for line in store.get(f"training/vlm/{name}.jsonl").splitlines()]
        for name in ("train", "eval")
    }
    assert splits["train"] and splits["eval"]
    for name, records in splits.items():
        for r in records:
            assert split_of(r["item_id"]) == name
            user = r["messages"][0]
            assert user["role"] == "user" and r["messages"][1]["role"] == "assistant"
            if r["image_key"]:
                assert user["content"][0] == {"type": "image"} and store.exists(r["image_key"])
    ids = [r["instruction_id"] for records in splits.values() for r in records]
    assert len(ids) == len(set(ids))
    manifest = json.loads(store.get("training/vlm/manifest.json"))
    assert manifest["partitions"] == 2 and manifest["train"] == len(splits["train"])


def test_training_set_without_instructions_fails_clearly(ingest_env):
    with pytest.raises(dg.Failure, match="no instruction_data partition"):
        materialize([vlm_training_set])


def test_augmentation_through_the_asset(ingest_env, monkeypatch):
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "40")
    assert materialize_ingest().success
    with ChatServer().serve() as url:
        monkeypatch.setenv("FASHION_AUGMENT_URL", url)
        monkeypatch.setenv("FASHION_AUGMENT_MODEL", "tiny")
        result = materialize([instruction_data], "2026-11-20")
    meta = result.asset_materializations_for_node("instruction_data")[0].metadata
    stats = meta["augmentation"].value
    assert stats["augmented"] > 0 and "failed" not in stats
    rows = read_parquet(
        _store(ingest_env), ParquetObjectStoreIOManager.key_for(["instruction_data"], "2026-11-20")
    ).to_dict("records")
    assert all(r["template_id"].endswith("+aug") for r in rows)


def test_augmenter_url_without_model_fails_clearly(ingest_env, monkeypatch):
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "20")
    assert materialize_ingest().success
    monkeypatch.setenv("FASHION_AUGMENT_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(Exception, match="FASHION_AUGMENT_MODEL"):
        materialize([instruction_data], "2026-11-20")


def test_instruction_checks_report_quality_and_block_contradictions(ingest_env, monkeypatch):
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "120")
    partition = "2026-11-20"
    assert materialize_ingest(partition).success
    result = materialize([instruction_data], partition)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert all(c.passed for c in checks.values()), checks
    quality = checks["instruction_quality"].metadata
    assert "| ungrounded" in quality["by_task"].value or "ungrounded" in quality["by_task"].value
    assert quality["samples"].value.count("title_attributes") >= 1
    # an older partition where one photo is two items that disagree: the pairs contradict
    store = _store(ingest_env)
    key = ParquetObjectStoreIOManager.key_for(["filtered_items"], partition)
    items = read_parquet(store, key)
    twin = items.iloc[[0]].copy()
    twin["item_id"], twin["color"] = (
        "demo_shop:TWIN",
        "Purple" if items.iloc[0]["color"] != ("Purple") else "Black",
    )
    write_parquet(store, key, pd.concat([items, twin], ignore_index=True))
    failed = materialize([instruction_data], partition, raise_on_error=False)
    verdict = {c.check_name: c.passed for c in failed.get_asset_check_evaluations()}
    assert verdict["one_answer_per_image"] is False
    assert verdict["instruction_quality"] is False
