"""Item tower assets through Dagster: training via the Pipes subprocess launcher, the blocking
gate and the serving pointer, tower vectors in pgvector, and the retraining sensor."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np

from fashion_assets.db.items import item_rows, upsert_items
from fashion_assets.db.server import connect
from fashion_assets.db.vectors import item_vector, search
from fashion_assets.defs.itemtower import item_tower_serving
from fashion_assets.defs.resources import build_resources
from fashion_assets.defs.sensors import item_tower_retrain
from fashion_assets.itemtower.checkpoint import load_tower
from fashion_assets.itemtower.config import BASELINES, GATE_LABELS
from fashion_assets.itemtower.registry import serving_checkpoint
from fashion_assets.settings import Settings
from fashion_assets_tests.pipeline import TINY_TOWER, TOWER, materialize, materialize_ingest


def _config(**values) -> dict:
    return {"ops": {"item_tower_checkpoint": {"config": {"quick": True, **values}}}}


def _gate(result) -> dg.AssetCheckEvaluation:
    [check] = result.get_asset_check_evaluations()
    return check


def test_training_gate_serving_pointer_and_tower_vectors(ingest_env):
    assert materialize_ingest().success
    instance = dg.DagsterInstance.get()
    store = build_resources(Settings())["objects"].store()

    # one epoch loses to a bag of words: refused although there is no champion to lose to
    weak = materialize(TOWER, instance=instance, run_config=_config(epochs=1),
                       raise_on_error=False)  # fmt: skip
    check = _gate(weak)
    assert not check.passed and "baseline tfidf" in check.description
    assert "champion" not in check.metadata
    assert serving_checkpoint(store) is None
    assert not weak.asset_materializations_for_node("tower_vectors")

    # a quick tower with the gate relaxed (a first model on a tiny catalogue) becomes champion
    first = materialize(TOWER, instance=instance,
                        run_config=_config(gate_tolerance=1.0, label_floor=1.0))  # fmt: skip
    assert first.success and _gate(first).passed
    meta = first.asset_materializations_for_node("item_tower_checkpoint")[0].metadata
    checkpoint = meta["checkpoint"].value
    assert _gate(first).metadata["checkpoint"].value == checkpoint
    assert serving_checkpoint(store)["checkpoint"] == checkpoint
    for name in ("pth1.pt", "pth2.pt", "config.json", "tokenizer.json", "metrics.json", "loss.png"):
        assert store.exists(f"{checkpoint}/{name}")
    assert "mrr" in meta["evaluation"].value and "tfidf_attributes" in meta["evaluation"].value
    metrics = json.loads(store.get(f"{checkpoint}/metrics.json"))
    assert set(metrics["evaluation"]) == {"h", "z", *BASELINES} and metrics["champion"] is None
    assert "color_missing_p@10" in meta["evaluation"].value
    # how far any model could lead each baseline on every label: never past a perfect score
    headroom = meta["label_headroom"].value
    assert set(headroom) == set(BASELINES) == set(metrics["label_headroom"])
    for name, room in headroom.items():
        best = max(metrics["evaluation"][name][f"{label}_p@10"] for label in GATE_LABELS)
        assert -1 <= room <= 1 - best + 1e-9  # no label's precision can pass 1

    # pth1 (+ the final normalisation) reproduces what pgvector serves, exactly
    tower = load_tower(store, checkpoint)
    with connect(ingest_env["DATABASE_URL"]) as conn:
        rows = item_rows(conn)
        expected = tower.encode(rows)
        for i in (0, len(rows) // 2, len(rows) - 1):
            assert np.array_equal(item_vector(conn, rows[i]["item_id"], "tower"), expected[i])
        hits, _, searched = search(
            conn, expected[0], k=3, against="tower", filters={"season": [rows[0]["season"]]}
        )
        assert hits[0].item_id == rows[0]["item_id"]
        version = conn.execute(
            "SELECT model_version FROM vector_tables WHERE name = 'tower_vectors'"
        ).fetchone()[0]
    assert searched == version == tower.version

    # a weakened challenger fails the blocking check against the champion: nothing moves
    second = materialize(TOWER, instance=instance, run_config=_config(epochs=1),
                         raise_on_error=False)  # fmt: skip
    check = _gate(second)
    assert not check.passed and "worse than champion" in check.description
    assert serving_checkpoint(store)["checkpoint"] == checkpoint
    assert not second.asset_materializations_for_node("tower_vectors")
    challenger = second.asset_materializations_for_node("item_tower_checkpoint")[0].metadata
    metrics = json.loads(store.get(f"{challenger['checkpoint'].value}/metrics.json"))
    assert metrics["champion"] == checkpoint and "score" in metrics["evaluation"]["champion"]

    # the serving asset on its own reads the newest check: the refused challenger stays out
    alone = materialize([item_tower_serving], instance=instance, raise_on_error=False)
    assert not alone.success
    assert serving_checkpoint(store)["checkpoint"] == checkpoint


def _new_items(rows: list[dict], n: int, tag: str) -> list[dict]:
    out = []
    for i, row in enumerate(rows[:n]):
        out.append({**row, "item_id": f"{row['item_id']}-{tag}{i}", "sku": f"{tag}{i}"})
    return out


def test_retraining_sensor_counts_new_items_since_the_last_checkpoint(ingest_env, monkeypatch):
    assert materialize_ingest().success
    monkeypatch.setenv("FASHION_TOWER_RETRAIN_ITEMS", "50")
    instance = dg.DagsterInstance.ephemeral()
    resources = {k: build_resources(Settings())[k] for k in ("postgres", "retrain")}

    def evaluate(cursor):
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as ctx:
            return item_tower_retrain(ctx)

    first = evaluate(None)  # no checkpoint yet: every item is new
    assert len(first.run_requests) == 1 and first.cursor
    assert isinstance(evaluate(first.cursor), dg.SkipReason)

    with connect(ingest_env["DATABASE_URL"]) as conn:
        full = conn.execute("SELECT * FROM items ORDER BY item_id LIMIT 60").fetchall()
        columns = [d.name for d in conn.execute("SELECT * FROM items LIMIT 0").description]
        rows = [dict(zip(columns, r, strict=True)) for r in full]
        upsert_items(conn, _new_items(rows, 30, "a"), "2026-11-21")
        skip = evaluate(first.cursor)
        assert isinstance(skip, dg.SkipReason) and "30 new items" in skip.skip_message
        upsert_items(conn, _new_items(rows, 30, "b"), "2026-11-22")
    second = evaluate(first.cursor)
    assert len(second.run_requests) == 1 and second.cursor > first.cursor
    assert second.run_requests[0].run_key != first.run_requests[0].run_key

    # a checkpoint trained on everything counts as covered, with or without a cursor
    assert materialize(TOWER, instance=instance, run_config=TINY_TOWER).success
    assert isinstance(evaluate(None), dg.SkipReason)
