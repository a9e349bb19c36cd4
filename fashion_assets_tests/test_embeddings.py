"""CLIP encoder, incremental embeddings, the live vector table, search under filters."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
import torch

from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect
from fashion_assets.db.vectors import (
    item_vector,
    live_version,
    publish,
    save_embeddings,
    search,
    stale_items,
)
from fashion_assets.defs.embeddings import clip_embeddings, item_vectors
from fashion_assets.embed.clip import TINY_CONFIG_PATH, ClipEncoder, ModelUnavailable, tiny_weights
from fashion_assets.embed.pipeline import embed_rows
from fashion_assets.embed.spec import TINY, ClipSpec
from fashion_assets.embed.tuned import promoted_clip
from fashion_assets.storage import LocalObjectStore
from fashion_assets_tests.pipeline import CLIP, materialize, materialize_ingest


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> ClipEncoder:
    return ClipEncoder(ClipSpec(batch_size=16), tmp_path_factory.mktemp("home"))


def test_default_encoder_is_offline_deterministic_and_normalised(encoder, tmp_path):
    again = ClipEncoder(ClipSpec(), tmp_path)
    assert again.version == encoder.version and encoder.version.startswith(f"{TINY}@sha256:")
    texts = encoder.encode_texts(["블랙 코트", "white linen shirt"])
    assert np.allclose(texts, again.encode_texts(["블랙 코트", "white linen shirt"]), atol=1e-6)
    assert texts.shape == (2, encoder.dim) and np.allclose(np.linalg.norm(texts, axis=1), 1)


def test_a_weights_file_is_its_own_version(encoder, tmp_path):
    torch.manual_seed(1)
    other = tmp_path / "other.pt"
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in torch.load(tiny_weights(tmp_path), weights_only=True).items()}  # fmt: skip
    torch.save(state, other)
    changed = ClipEncoder(ClipSpec(pretrained=str(other)), tmp_path)
    assert changed.version != encoder.version
    assert not np.allclose(changed.encode_texts(["coat"]), encoder.encode_texts(["coat"]))


def test_a_model_folder_loads_offline(encoder, tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    config = {"model_cfg": json.loads(TINY_CONFIG_PATH.read_text())}
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    weights = torch.load(tiny_weights(tmp_path), weights_only=True)
    torch.save(weights, folder / "open_clip_pytorch_model.bin")
    from_folder = ClipEncoder(ClipSpec(pretrained=str(folder)), tmp_path)
    assert from_folder.version.startswith("my-model@sha256:")
    assert np.allclose(
        from_folder.encode_texts(["coat"]), encoder.encode_texts(["coat"]), atol=1e-6
    )


def test_missing_weights_and_offline_tags_fail_at_once_with_what_to_set(tmp_path, monkeypatch):
    with pytest.raises(ModelUnavailable, match="does not exist"):
        ClipEncoder(ClipSpec(pretrained=str(tmp_path / "nope.pt")), tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="FASHION_CLIP_PRETRAINED"):
        ClipEncoder(ClipSpec(model="ViT-B-32-quickgelu", pretrained="laion2b_s34b_b79k"), tmp_path)
    assert time.monotonic() - started < 5


def _items(n: int, colors: list[str]) -> list[dict]:
    return [
        {"item_id": f"s:{i:06d}", "source": "s", "sku": str(i), "url": f"u{i}", "title": f"t{i}",
         "category": "04bottom_01pants", "category_specification": "bottom", "gender": "male",
         "season": "winter", "color": colors[i], "fiber_composition": [], "specs": {},
         "reinforced": {}, "image_url": "x", "image_key": "k", "image_sha256": "0" * 64,
         "content_hash": f"h{i}"}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def vector_db(pg_server_url):
    """20,000 items with 32-d vectors; colours at 50%, 10%, 1% and 0.1% selectivity."""
    name = "vectors_search"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = pg_server_url.replace("/postgres?", f"/{name}?")
    n, rng = 20_000, np.random.default_rng(0)
    colors = ["Black"] * 10_000 + ["Gray"] * 2_000 + ["Red"] * 200 + ["Purple"] * 20
    colors += ["White"] * (n - len(colors))
    rng.shuffle(colors)
    vectors = rng.normal(size=(n, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = _items(n, colors)
    with connect(url) as conn:
        migrate(conn)
        upsert_items(conn, items, "2026-11-01")
        save_embeddings(conn, "synthetic", items, vectors, vectors)
        publish(conn, "synthetic", 32)
    return url, vectors, np.array(colors), rng


def _exact_top(vectors, colors, query, k, color=None):
    mask = np.ones(len(vectors), bool) if color is None else colors == color
    idx = np.flatnonzero(mask)
    order = np.argsort(-(vectors[idx] @ query))[:k]
    return {f"s:{i:06d}" for i in idx[order]}


@pytest.mark.parametrize("color", [None, "Black", "Gray", "Red", "Purple"])
@pytest.mark.parametrize("force_hnsw", [False, True])
def test_filtered_search_returns_k_rows_with_high_recall(vector_db, color, force_hnsw):
    url, vectors, colors, rng = vector_db
    matching = len(vectors) if color is None else int((colors == color).sum())
    k = 10
    recalls, plans = [], set()
    with connect(url) as conn:
        for _ in range(10):
            query = rng.normal(size=32).astype(np.float32)
            query /= np.linalg.norm(query)
            filters = {"color": [color]} if color else None
            limits = {"exact_rows": 0, "exact_share": 0.0} if force_hnsw else {}
            hits, plan, version = search(conn, query, k=k, filters=filters, **limits)
            plans.add(plan)
            assert version == "synthetic"  # the searched table's model, read with its size
            assert len(hits) == min(k, matching)
            assert all(h.color == color for h in hits if color)
            assert [h.distance for h in hits] == sorted(h.distance for h in hits)
            truth = _exact_top(vectors, colors, query, k, color)
            recalls.append(len(truth & {h.item_id for h in hits}) / len(truth))
    assert np.mean(recalls) >= 0.9, (plans, recalls)
    if color in ("Red", "Purple") and not force_hnsw:
        assert plans == {"exact"} and np.mean(recalls) == 1.0


def test_search_rejects_unknown_filters_and_bad_k(vector_db):
    url, *_ = vector_db
    with connect(url) as conn:
        with pytest.raises(ValueError, match="cannot filter"):
            search(conn, np.ones(32, np.float32), filters={"price": ["1"]})
        with pytest.raises(ValueError, match="k must be"):
            search(conn, np.ones(32, np.float32), k=0)


def test_incremental_embedding_encodes_only_what_changed(encoder, database_url, tmp_path):
    store = LocalObjectStore(tmp_path / "objects")
    rows = _items(30, ["Black"] * 30)
    from fashion_assets_tests.hostile_shop import _jpeg

    for i, row in enumerate(rows):
        row["image_key"] = f"images/{i}.jpg"
        store.put(row["image_key"], _jpeg((i * 8, 40, 90)))
    with connect(database_url) as conn:
        migrate(conn)
        upsert_items(conn, rows, "2026-11-01")
        # before the first build a search finds nothing and names no model
        assert search(conn, np.ones(encoder.dim, np.float32)) == ([], "none", None)

        def run() -> int:
            pending = stale_items(conn, encoder.version)
            images, texts = embed_rows(encoder, store, pending)
            save_embeddings(conn, encoder.version, pending, images, texts)
            return len(pending)

        before = dict(encoder.calls)
        assert run() == 30 and publish(conn, encoder.version, encoder.dim).mode == "rebuilt"
        assert encoder.calls["images"] - before["images"] == 30
        calls = dict(encoder.calls)
        assert run() == 0
        assert encoder.calls == calls, "unchanged items were encoded again"
        changed = {**rows[3], "title": "renamed", "content_hash": "new"}
        upsert_items(conn, [changed], "2026-11-02")
        assert run() == 1 and encoder.calls["images"] == calls["images"] + 1
        done = publish(conn, encoder.version, encoder.dim)
        assert (done.mode, done.rows, done.changed) == ("updated", 30, 2)
        hits, _, _ = search(conn, item_vector(conn, "s:000003", "text"), k=1, against="text")
        assert hits[0].item_id == "s:000003" and hits[0].title == "renamed"


def test_the_swap_leaves_a_concurrent_reader_with_a_complete_table(vector_db):
    url, vectors, *_ = vector_db
    counts: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        with connect(url) as conn:
            while not stop.is_set():
                try:
                    counts.append(conn.execute("SELECT count(*) FROM item_vectors").fetchone()[0])
                except psycopg.Error as exc:
                    errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with connect(url) as conn:
            for version in ("synthetic-b", "synthetic"):
                save_embeddings(conn, version, _items(len(vectors), ["Black"] * len(vectors)),
                                vectors, vectors)  # fmt: skip
                assert publish(conn, version, 32).mode == "rebuilt"
                assert live_version(conn) == version
    finally:
        stop.set()
        reader.join()
    assert not errors and len(counts) > 10
    assert set(counts) == {len(vectors)}


def test_assets_encode_once_and_rebuild_on_a_model_change(ingest_env, monkeypatch, tmp_path):
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "40")
    assert materialize_ingest().success
    first = materialize([clip_embeddings, item_vectors])
    meta = first.asset_materializations_for_node("clip_embeddings")[0].metadata
    items = meta["encoded"].value
    assert items > 30 and meta["unchanged"].value == 0
    again = materialize([clip_embeddings, item_vectors])
    meta = again.asset_materializations_for_node("clip_embeddings")[0].metadata
    assert (meta["encoded"].value, meta["unchanged"].value) == (0, items)
    vec = again.asset_materializations_for_node("item_vectors")[0].metadata
    assert (vec["mode"].value, vec["changed"].value) == ("updated", 0)
    assert vec["dagster/row_count"].value == items
    vector_type = {c.name: c.type for c in vec["dagster/column_schema"].value.columns}[
        "image_embedding"
    ]
    assert vector_type.startswith("vector(")
    torch.manual_seed(3)
    state = torch.load(tiny_weights(Path(ingest_env["FASHION_HOME"])), weights_only=True)
    torch.save({k: v * 1.5 if v.is_floating_point() else v for k, v in state.items()},
               tmp_path / "retrained.pt")  # fmt: skip
    monkeypatch.setenv("FASHION_CLIP_PRETRAINED", str(tmp_path / "retrained.pt"))
    changed = materialize([clip_embeddings, item_vectors])
    meta = changed.asset_materializations_for_node("clip_embeddings")[0].metadata
    assert meta["encoded"].value == items
    assert (
        changed.asset_materializations_for_node("item_vectors")[0].metadata["mode"].value
        == "rebuilt"
    )


def _gate(result) -> tuple[bool, str]:
    check = result.get_asset_check_evaluations()[0]
    return check.passed, check.description


def test_clip_finetune_promotes_a_better_model_and_refuses_a_weaker_one(ingest_env):
    """Tuning on the catalogue beats the random tiny CLIP on held-out items; promotion is a new
    model version, so every item is re-encoded and item_vectors rebuilt. A one-epoch,
    near-zero learning-rate challenger loses to that champion: the blocking gate refuses it,
    nothing is promoted and the vectors are not touched."""
    store = LocalObjectStore(Path(ingest_env["FASHION_HOME"]) / "objects")
    assert materialize_ingest().success
    assert materialize([clip_embeddings, item_vectors]).success
    base = live_version(connect(ingest_env["DATABASE_URL"]))
    better = materialize(CLIP, run_config=_clip_config(epochs=25))
    passed, reason = _gate(better)
    assert passed and "not worse than the base model" in reason
    evaluation = json.loads(store.get(promoted_clip(store)["weights"].replace(
        "weights.pt", "metrics.json")))["evaluation"]  # fmt: skip
    assert evaluation["tuned"]["score"] > evaluation["base"]["score"] + 0.1
    assert evaluation["tuned"]["attr_p10_ko"] > evaluation["base"]["attr_p10_ko"]
    tuned = f"fashion-tiny@sha256:{promoted_clip(store)['sha256'][:16]}"
    with connect(ingest_env["DATABASE_URL"]) as conn:
        assert base != tuned == live_version(conn)
        items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    encoded = better.asset_materializations_for_node("clip_embeddings")[0].metadata["encoded"]
    assert encoded.value == items
    promoted = store.get("models/clip/promoted.json")

    weaker = materialize(CLIP, run_config=_clip_config(epochs=1, lr=1e-7), raise_on_error=False)
    passed, reason = _gate(weaker)
    assert not passed and reason.startswith("refused: score") and "the champion model" in reason
    assert store.get("models/clip/promoted.json") == promoted
    assert weaker.asset_materializations_for_node("clip_embeddings") == []
    with connect(ingest_env["DATABASE_URL"]) as conn:
        assert live_version(conn) == tuned


def _clip_config(**values) -> dict:
    return {"ops": {"clip_finetune": {"config": values}}}
