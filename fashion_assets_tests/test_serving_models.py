"""A search answers with the model of the vectors it searched: nothing published is a 503, a
CLIP model promoted and swapped in while the service runs is loaded and the query encoded
again, and a table of a model the settings cannot give is refused with a 409."""

from __future__ import annotations

from itertools import product

import numpy as np
import torch
from fastapi.testclient import TestClient

from fashion_assets.db.items import upsert_items
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect
from fashion_assets.db.vectors import publish, save_embeddings
from fashion_assets.embed.clip import ClipEncoder, tiny_weights
from fashion_assets.embed.spec import ClipSpec
from fashion_assets.embed.tuned import base_id, promote_clip, resolve_spec
from fashion_assets.settings import Settings
from fashion_assets.storage import store_from_settings
from serving.app import create_app

COLOURS = ["black", "white", "navy", "beige", "olive", "grey", "red", "camel"]
GARMENTS = ["coat", "shirt", "knit", "jeans", "skirt", "parka", "blazer"]


def _items() -> list[dict]:
    titles = [f"{c} {g} no.{i}" for i, (c, g) in enumerate(product(COLOURS, GARMENTS))]
    return [
        {"item_id": f"m:{i:03d}", "source": "m", "sku": str(i), "url": f"u{i}", "title": t,
         "category": "01outer_01coat", "category_specification": "outer", "gender": "female",
         "season": "winter", "color": "Black", "fiber_composition": [], "specs": {},
         "reinforced": {}, "image_url": "x", "image_key": "k", "image_sha256": "0" * 64,
         "content_hash": f"h{i}"}
        for i, t in enumerate(titles)
    ]  # fmt: skip


def _publish(conn, rows: list[dict], vectors: np.ndarray, version: str) -> None:
    save_embeddings(conn, version, rows, vectors, vectors)
    assert publish(conn, version, vectors.shape[1]).mode == "rebuilt"


def _top(vectors: np.ndarray, query: np.ndarray, rows: list[dict], k: int) -> list[str]:
    return [rows[i]["item_id"] for i in np.argsort(-(vectors @ query))[:k]]


def test_search_follows_the_model_of_the_live_vectors(database_url, tmp_path):
    home = tmp_path / "home"
    settings = Settings(database_url=database_url, fashion_home=home)
    store, rows = store_from_settings(settings), _items()
    with connect(database_url) as conn:
        migrate(conn)
        upsert_items(conn, rows, "2026-12-01")
    query = rows[9]["title"]
    body = {"text": query, "k": 5, "mode": "vector", "against": "text", "understand": False}
    with TestClient(create_app(settings=settings)) as client, connect(database_url) as conn:
        before = client.post("/search", json=body)
        assert before.status_code == 503 and "materialize item_vectors" in before.json()["detail"]

        base = ClipEncoder(ClipSpec(), home)
        base_vectors = base.encode_texts([r["title"] for r in rows])
        _publish(conn, rows, base_vectors, base.version)
        served = client.post("/search", json=body).json()
        assert served["model_version"] == base.version
        assert served["results"][0]["item_id"] == rows[9]["item_id"]

        # a tuned model is promoted and the pipeline swaps in its vectors; the service still
        # holds the base encoder, whose query would rank the tuned vectors differently
        torch.manual_seed(7)
        weights = torch.load(tiny_weights(home), weights_only=True)
        tuned_weights = {k: v + 0.5 * torch.randn_like(v) if v.is_floating_point() else v
                         for k, v in weights.items()}  # fmt: skip
        torch.save(tuned_weights, tmp_path / "weights.pt")
        store.put("models/clip/runs/r1/weights.pt", (tmp_path / "weights.pt").read_bytes())
        promote_clip(store, "models/clip/runs/r1/weights.pt", base_id(ClipSpec()), {})
        tuned = ClipEncoder(resolve_spec(ClipSpec(), store, home), home)
        tuned_vectors = tuned.encode_texts([r["title"] for r in rows])
        _publish(conn, rows, tuned_vectors, tuned.version)
        truth = _top(tuned_vectors, tuned.encode_texts([query])[0], rows, 5)
        stale = _top(tuned_vectors, base.encode_texts([query])[0], rows, 5)
        assert truth != stale  # a search that kept the base model's query would show it
        swapped = client.post("/search", json=body).json()
        assert swapped["model_version"] == tuned.version != base.version
        assert [h["item_id"] for h in swapped["results"]] == truth

        # vectors of a model these settings do not name: refused, not answered with noise
        _publish(conn, rows, tuned_vectors, "elsewhere@sha256:0")
        other = client.post("/search", json=body)
        assert other.status_code == 409 and "elsewhere@sha256:0" in other.json()["detail"]
        recommend = client.post("/recommend", json={"text": query})
        assert recommend.status_code == 409
