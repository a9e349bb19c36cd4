"""The services over a real catalogue: embeddings, search with filters, similar items, RAG,
the VLM chat API, bad input, security, a database outage, hot swap, and schema fuzzing."""

import base64
import io
import json
import threading
import time
from typing import ClassVar
from urllib.parse import urlparse

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import serving.state
from fashion_assets.db.items import item_rows
from fashion_assets.db.server import connect
from fashion_assets.db.vectors import ITEM_FIELDS, item_vector, publish_tower
from fashion_assets.embed.tuned import promoted_clip
from fashion_assets.instructions.styling import COMPLEMENTS, gender_ok
from fashion_assets.settings import Settings
from fashion_assets.storage import store_from_settings
from fashion_assets_tests.db_proxy import DatabaseProxy
from fashion_assets_tests.helpers import QuietHandler, loopback_server
from fashion_assets_tests.serving_fixtures import running
from serving.app import create_app
from serving.state import RecentUseCheck


def make_client(catalogue, **settings) -> TestClient:
    values = {"database_url": catalogue["DATABASE_URL"], "fashion_home": catalogue["FASHION_HOME"],
              **settings}  # fmt: skip
    return TestClient(create_app(settings=Settings(**values)))


@pytest.fixture(scope="module")
def client(catalogue, tiny_vlm):
    with make_client(catalogue, fashion_api_key="s3cret", fashion_cors_origins="http://shop.test",
                     fashion_max_upload_bytes=200_000, fashion_vlm_base_model=str(tiny_vlm)) as c:  # fmt: skip
        yield c


def png(size=(64, 80), color=(10, 20, 30), kind="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, kind)
    return buf.getvalue()


def first_item(client, age_group: str = "adult") -> dict:
    body = {"text": "coat", "k": 1, "filters": {"age_group": [age_group]}}
    hits = client.post("/search", json=body).json()["results"]
    return client.get(f"/items/{hits[0]['item_id']}").json()


def test_embeddings_are_normalised_and_versioned(client):
    out = client.post("/embed/text", json={"texts": ["black winter coat", "린넨 셔츠"]}).json()
    vectors = np.array(out["embeddings"])
    assert vectors.shape == (2, out["dim"]) and np.allclose(
        np.linalg.norm(vectors, axis=1), 1, atol=1e-5
    )
    image = client.post("/embed/image", files={"file": ("a.png", png(), "image/png")}).json()
    assert (
        image["model_version"] == out["model_version"] and len(image["embeddings"][0]) == out["dim"]
    )


def test_text_search_honours_filters_and_k(client):
    body = {
        "text": "winter coat",
        "k": 7,
        "filters": {"season": ["winter"], "gender": ["male", "both"]},
        "mode": "vector",
    }
    out = client.post("/search", json=body).json()
    assert len(out["results"]) == 7 and out["model_version"].startswith("fashion-tiny")
    assert all(h["season"] == "winter" and h["gender"] in ("male", "both") for h in out["results"])
    distances = [h["distance"] for h in out["results"]]
    assert distances == sorted(distances)
    image = client.get(out["results"][0]["image_url"])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")


def black_winter_coats(catalogue) -> set[str]:
    with connect(catalogue["DATABASE_URL"]) as conn:
        rows = item_rows(conn, ("item_id", "category", "color", "season"))
    return {r["item_id"] for r in rows
            if (r["category"], r["color"], r["season"]) == ("01outer_01coat", "Black", "winter")}  # fmt: skip


@pytest.mark.parametrize("query", ["black winter coat", "블랙 겨울 코트", "겨울 블랙 코트를"])
def test_the_demo_shop_finds_black_winter_coats_in_both_languages(client, catalogue, query):
    wanted = black_winter_coats(catalogue)
    assert wanted, "the demo shop (2,000 products) has black winter coats"
    out = client.post("/search", json={"text": query, "k": 5}).json()
    top = [h["item_id"] for h in out["results"]]
    assert set(top) == wanted if len(wanted) <= 5 else set(top) <= wanted
    assert out["plan"].startswith("hybrid")
    assert {u["field"]: u["values"] for u in out["understood"]} == {
        "category": ["01outer_01coat"], "season": ["winter"], "color": ["Black"]}  # fmt: skip


def test_search_modes_understanding_and_removed_chips(client):
    shirts = {"text": "남성 네이비 셔츠", "k": 10}
    modes = {m: client.post("/search", json={**shirts, "mode": m}).json()
             for m in ("vector", "lexical", "hybrid")}  # fmt: skip
    for mode, out in modes.items():
        assert out["results"], mode
        assert all(h["category"] == "02top_04shirt" and h["color"] == "Blue"
                   and h["gender"] in ("male", "both") for h in out["results"]), mode  # fmt: skip
    assert modes["lexical"]["plan"] == "lexical"
    assert all(h["distance"] is None for h in modes["lexical"]["results"])
    fused = {h["item_id"] for h in modes["hybrid"]["results"]}
    assert fused <= {h["item_id"] for m in ("vector", "lexical")
                     for h in client.post("/search", json={**shirts, "mode": m, "k": 100}).json()["results"]}  # fmt: skip
    # removing the colour chip keeps the other understood filters and lets other colours in
    wider = client.post("/search", json={**shirts, "k": 50, "ignore": ["color"]}).json()
    assert "color" not in wider["filters"] and wider["filters"]["category"] == ["02top_04shirt"]
    assert {h["color"] for h in wider["results"]} > {"Blue"}
    # without understanding nothing is filtered; a caller's filter wins over an understood one
    raw = client.post("/search", json={**shirts, "understand": False, "k": 30}).json()
    assert raw["understood"] == [] and raw["filters"] == {}
    assert len({h["category"] for h in raw["results"]}) > 1
    white = client.post("/search", json={**shirts, "filters": {"color": ["White"]}}).json()
    assert white["filters"]["color"] == ["White"] and white["results"]
    assert all(h["color"] == "White" for h in white["results"])


def test_the_services_encode_with_the_promoted_tuned_clip(client, catalogue):
    store = store_from_settings(Settings(fashion_home=catalogue["FASHION_HOME"]))
    tuned = f"fashion-tiny@sha256:{promoted_clip(store)['sha256'][:16]}"
    assert client.get("/health").json()["item_vectors"] == tuned
    assert client.post("/embed/text", json={"texts": ["코트"]}).json()["model_version"] == tuned


def test_item_search_similar_items_and_image_search(client, catalogue):
    item = first_item(client)
    tower = client.get(f"/items/{item['item_id']}/similar", params={"k": 5}).json()
    assert len(tower["results"]) == 5 and tower["model_version"].startswith("itemtower:")
    assert item["item_id"] not in [h["item_id"] for h in tower["results"]]
    with connect(catalogue["DATABASE_URL"]) as conn:
        own = item_vector(conn, item["item_id"], "tower")
        other = item_vector(conn, tower["results"][0]["item_id"], "tower")
    assert tower["results"][0]["distance"] == pytest.approx(1 - float(own @ other), abs=1e-4)
    clip = client.post(
        "/search", json={"item_id": item["item_id"], "k": 3, "vectors": "clip"}
    ).json()
    assert len(clip["results"]) == 3 and clip["model_version"].startswith("fashion-tiny")
    data = client.get(item["image_url"]).content
    by_image = client.post("/search/image", params={"k": 3, "filters": json.dumps({"season": [item["season"]]})},
                           files={"file": ("x.jpg", data, "image/jpeg")}).json()  # fmt: skip
    assert by_image["results"][0]["item_id"] == item["item_id"]  # its own picture comes first


def test_bad_input_gets_clear_4xx_answers(client):
    cases = [
        (client.post("/search", json={"text": "x", "k": 0}), 422),
        (client.post("/search", json={"text": "x", "k": 1000}), 422),
        (client.post("/search", json={"text": "x", "filters": {"season": ["monsoon"]}}), 422),
        (client.post("/search", json={"text": "x", "filters": {"brand": ["y"]}}), 422),
        (client.post("/search", json={"text": "x", "item_id": "y"}), 422),
        (client.post("/search", json={"text": "x", "vectors": "tower"}), 422),
        (client.post("/search", json={"text": "x", "mode": "bm25"}), 422),
        (client.post("/search", json={"text": "x", "ignore": ["brand"]}), 422),
        (client.post("/search", json={"item_id": "nope:1"}), 404),
        (client.get("/items/nope:1"), 404),
        (client.get("/images/../../etc/passwd"), 404),
        (client.post("/embed/text", json={"texts": []}), 422),
        (
            client.post(
                "/embed/image", files={"file": ("a.png", png((800, 800), kind="BMP"), "image/png")}
            ),
            413,
        ),
        (client.post("/embed/image", files={"file": ("a.txt", b"hello", "text/plain")}), 415),
        (
            client.post(
                "/embed/image", files={"file": ("a.jpg", b"\xff\xd8garbage", "image/jpeg")}
            ),
            422,
        ),
        (client.post("/embed/image", files={"file": ("a.bmp", png(kind="BMP"), "image/bmp")}), 415),
        (
            client.post(
                "/search/image",
                params={"filters": "{not json"},
                files={"file": ("a.png", png(), "image/png")},
            ),
            422,
        ),
        (client.post("/recommend", json={"item_id": "a", "text": "b"}), 422),
        (client.post("/recommend", json={"image": "http://example.com/a.jpg"}), 422),
        # a NUL cannot reach PostgreSQL (the fuzz test found /recommend answering 500)
        (client.post("/recommend", json={"item_id": "\u0000"}), 422),
        (client.post("/search", json={"item_id": "a\u0000"}), 422),
        (client.get("/items/a%00b"), 422),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        assert response.json()["detail"]


def test_admin_needs_the_key_and_cors_is_configurable(client, catalogue):
    assert client.post("/admin/reload").status_code == 401
    assert client.post("/admin/reload", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/admin/reload", headers={"X-API-Key": "s3cret"}).status_code == 200
    with make_client(catalogue) as closed:
        assert closed.post("/admin/reload", headers={"X-API-Key": ""}).status_code == 403
    allowed = client.options("/search", headers={"Origin": "http://shop.test",
                                                 "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert allowed.headers["access-control-allow-origin"] == "http://shop.test"
    other = client.options(
        "/search", headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers
    scheme = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert scheme == {"APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                      "description": scheme["APIKeyHeader"]["description"]}}  # fmt: skip


class HeldEncoder:
    """The real encoder, except that image batches wait until the test lets them go."""

    def __init__(self, encoder):
        self.encoder, self.entered, self.release = encoder, threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def encode_image_batch(self, pixels):
        self.entered.set()
        assert self.release.wait(60)
        return self.encoder.encode_image_batch(pixels)


def test_an_image_being_encoded_does_not_stall_other_requests(catalogue):
    """Inference runs in the thread pool, not on the event loop: while an upload is held inside
    the encoder, other requests are answered."""
    import httpx

    app = create_app(settings=Settings(database_url=catalogue["DATABASE_URL"],
                                       fashion_home=catalogue["FASHION_HOME"]))  # fmt: skip
    state = app.state.services
    held = HeldEncoder(state.encoder)
    state.__dict__["encoder"] = held
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        answers = {}
        upload = threading.Thread(target=lambda: answers.setdefault("image", http.post(
            "/embed/image", files={"file": ("a.png", png(), "image/png")})))  # fmt: skip
        upload.start()
        assert held.entered.wait(30)
        assert http.get("/health", timeout=10).status_code == 200
        body = {"text": "코트", "k": 3, "mode": "lexical"}
        assert http.post("/search", json=body, timeout=10).status_code == 200
        assert "image" not in answers  # still held while the others were answered
        held.release.set()
        upload.join(30)
        assert answers["image"].status_code == 200


class HeldTexts(HeldEncoder):
    """The real encoder, except that the first text pass waits until the test lets it go;
    records the texts of every pass."""

    def __init__(self, encoder):
        super().__init__(encoder)
        self.passes: list[list[str]] = []

    def encode_texts(self, texts):
        self.passes.append(list(texts))
        if len(self.passes) == 1:
            self.entered.set()
            assert self.release.wait(60)
        return self.encoder.encode_texts(texts)


def test_text_queries_that_arrive_together_share_one_model_pass(catalogue):
    """While a pass runs, the text requests that arrive queue for the next one, which encodes
    them together; each still gets its own vector, the one it would get alone."""
    import httpx

    app = create_app(settings=Settings(database_url=catalogue["DATABASE_URL"],
                                       fashion_home=catalogue["FASHION_HOME"]))  # fmt: skip
    state = app.state.services
    texts = ["black winter coat", "린넨 셔츠", "wide denim pants", "니트 가디건"]
    alone = {t: state.encoder.encode_texts([t])[0] for t in texts}
    held = HeldTexts(state.encoder)
    state.__dict__["encoder"] = held
    answers = {}
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as http:

        def embed(text):
            answers[text] = http.post("/embed/text", json={"texts": [text]}).json()

        threads = [threading.Thread(target=embed, args=(t,)) for t in texts]
        threads[0].start()
        assert held.entered.wait(30)
        for t in threads[1:]:
            t.start()
        deadline = time.monotonic() + 30
        while state.encode_texts.queued < len(texts) - 1:
            assert time.monotonic() < deadline, "the later requests never queued"
            time.sleep(0.01)
        held.release.set()
        for t in threads:
            t.join(60)
    assert held.passes[0] == texts[:1] and sorted(held.passes[1]) == sorted(texts[1:])
    assert len(held.passes) == 2
    for text in texts:
        assert np.allclose(answers[text]["embeddings"][0], alone[text], atol=1e-5)


def test_recommendation_retrieves_complements_and_writes_with_rules(client):
    kids = first_item(client, "kids")
    assert kids["age_group"] == "kids"
    outfit = client.post("/recommend", json={"item_id": kids["item_id"]}).json()["items"]
    assert all(client.get(f"/items/{p['item_id']}").json()["age_group"] == "kids" for p in outfit)
    item = first_item(client)
    out = client.post("/recommend", json={"item_id": item["item_id"], "context": "출근룩"}).json()
    assert out["generator"] == "rules" and out["anchor"]["item_id"] == item["item_id"]
    slots = COMPLEMENTS[item["category"]]
    assert out["items"] and len(out["items"]) <= len(slots)
    for hit in out["items"]:
        assert any(hit["category"] in slot for slot in slots)
        assert hit["season"] == item["season"] and gender_ok(item["gender"], hit["gender"])
        assert hit["item_id"] in out["recommendation"]
    by_text = client.post("/recommend", json={"text": "겨울 코트", "language": "en"}).json()
    assert by_text["recommendation"].startswith("Try this with")
    data_uri = (
        "data:image/png;base64," + base64.b64encode(client.get(item["image_url"]).content).decode()
    )
    assert (
        client.post("/recommend", json={"image": data_uri}).json()["anchor"]["item_id"]
        == item["item_id"]
    )


class FakeVlm(QuietHandler):
    """An OpenAI-compatible endpoint: answers, fails with 500, or answers too late."""

    mode = "ok"
    prompts: ClassVar[list[str]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeVlm.prompts.append(body["messages"][0]["content"])
        if FakeVlm.mode == "slow":
            threading.Event().wait(1.0)
        status = 500 if FakeVlm.mode == "error" else 200
        data = json.dumps(
            {"choices": [{"message": {"content": "검정 코트에 회색 니트를 추천합니다."}}]}
        ).encode()
        self.reply(status, data)


def test_rag_asks_the_configured_vlm_and_falls_back_to_rules(catalogue, client):
    item = first_item(client)
    with (
        loopback_server(FakeVlm) as url,
        make_client(
            catalogue,
            fashion_vlm_url=url,
            fashion_vlm_model="fashion-vlm",
            fashion_vlm_timeout_s=0.3,
        ) as rag,
    ):
        FakeVlm.mode = "ok"
        out = rag.post(
            "/recommend", json={"item_id": item["item_id"], "context": "주말 나들이"}
        ).json()
        assert out["generator"] == "vlm:fashion-vlm" and out["recommendation"].startswith(
            "검정 코트"
        )
        assert item["title"] in FakeVlm.prompts[-1] and "주말 나들이" in FakeVlm.prompts[-1]
        for mode in ("error", "slow"):
            FakeVlm.mode = mode
            out = rag.post("/recommend", json={"item_id": item["item_id"]}).json()
            assert out["generator"] == "rules" and item["item_id"] not in out["recommendation"]


def test_vlm_chat_completions_with_text_and_images(client, catalogue, tiny_vlm):
    image = "data:image/png;base64," + base64.b64encode(png()).decode()
    body = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": image}},
                                                      {"type": "text", "text": "이 옷의 속성은?"}]}],
            "max_tokens": 5}  # fmt: skip
    out = client.post("/v1/chat/completions", json=body).json()
    assert (
        out["object"] == "chat.completion" and out["choices"][0]["message"]["role"] == "assistant"
    )
    assert out["usage"]["completion_tokens"] <= 5 and out["model"] == str(tiny_vlm)
    text = client.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "안녕"}], "max_tokens": 3},
    )
    assert text.status_code == 200
    bad = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@"}}
                ],
            }
        ]
    }
    assert client.post("/v1/chat/completions", json=bad).status_code == 422
    with make_client(
        catalogue, fashion_vlm_base_model=str(tiny_vlm), fashion_vlm_adapter="latest"
    ) as latest:
        missing = latest.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
        )
        assert missing.status_code == 503 and "vlm_adapter" in missing.json()["detail"]


def test_rag_through_the_vlm_service(catalogue, client, tiny_vlm):
    """The RAG service asking this project's own VLM service over HTTP."""
    vlm_app = create_app(
        ["vlm"],
        Settings(fashion_vlm_base_model=str(tiny_vlm), fashion_home=catalogue["FASHION_HOME"]),
    )
    with (
        running(vlm_app) as url,
        make_client(catalogue, fashion_vlm_url=url, fashion_vlm_model="tiny") as rag,
    ):
        out = rag.post("/recommend", json={"item_id": first_item(client)["item_id"]}).json()
    assert out["generator"] == "vlm:tiny" and out["recommendation"].strip()


def test_database_outage_is_a_503_and_the_service_recovers(catalogue, pg_server_url):
    proxy = DatabaseProxy(pg_server_url, urlparse(catalogue["DATABASE_URL"]).path.lstrip("/"))
    with make_client(catalogue, database_url=proxy.url) as c:
        assert c.get("/health").json()["database"] == "ok"
        proxy.down()
        down = c.post("/search", json={"text": "coat", "k": 3})
        assert down.status_code == 503 and "127.0.0.1" in down.json()["detail"]
        assert "postgres@" in down.json()["detail"] or "***" in down.json()["detail"]
        proxy.up()
        assert c.post("/search", json={"text": "coat", "k": 3}).status_code == 200


def test_the_pool_checks_a_connection_only_after_it_sat_idle(database_url, monkeypatch):
    """A connection handed back moments ago is lent again without the check's round trip; one
    never returned, or idle longer than the window, is checked (and a dead one refused)."""
    check = RecentUseCheck()
    with psycopg.connect(database_url, autocommit=True) as conn:
        check.check(conn)  # alive: the check passes
    with pytest.raises(psycopg.OperationalError):
        check.check(conn)  # closed and never returned: checked, refused
    check.returned(conn)
    check.check(conn)  # returned moments ago: lent without a check
    monkeypatch.setattr(serving.state, "CHECK_BYPASS_S", 0.0)
    with pytest.raises(psycopg.OperationalError):
        check.check(conn)  # idle past the window: checked again


def test_a_new_tower_table_is_served_without_a_restart(client, catalogue):
    item = first_item(client)
    before = client.get(f"/items/{item['item_id']}/similar", params={"k": 3}).json()
    with connect(catalogue["DATABASE_URL"]) as conn:
        rows = item_rows(conn, ITEM_FIELDS)
        vectors = np.random.default_rng(0).normal(size=(len(rows), 16)).astype(np.float32)
        publish_tower(conn, "itemtower:swapped", rows, vectors)
    after = client.get(f"/items/{item['item_id']}/similar", params={"k": 3}).json()
    assert before["model_version"] != after["model_version"] == "itemtower:swapped"
    assert client.get("/health").json()["tower_vectors"] == "itemtower:swapped"


def test_each_service_runs_alone(catalogue):
    settings = Settings(
        database_url=catalogue["DATABASE_URL"], fashion_home=catalogue["FASHION_HOME"]
    )
    expected = {
        "clip": "/embed/text",
        "vector": "/search",
        "vlm": "/v1/chat/completions",
        "rag": "/recommend",
    }
    for service, path in expected.items():
        app = create_app([service], settings)
        paths = set(app.openapi()["paths"])
        assert path in paths and paths.isdisjoint(p for s, p in expected.items() if s != service)
        with TestClient(app) as alone:
            assert alone.get("/").status_code == 404  # the page comes with all services
    with pytest.raises(ValueError, match="unknown services"):
        create_app(["search"], settings)
