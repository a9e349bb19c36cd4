"""Instruction generation: styling rules, generator, augmenter, training set."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from fashion_assets.catalog import Item
from fashion_assets.catalog.labels import label
from fashion_assets.catalog.vocabulary import CATEGORIES
from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.instructions.augment import AugmentConfig, Augmenter, augment_rows
from fashion_assets.instructions.generator import GeneratorConfig, generate, tasks_for
from fashion_assets.instructions.styling import (
    COMPLEMENTS,
    CatalogueIndex,
    color_score,
    compatible,
    recommend,
)
from fashion_assets.instructions.templates import (
    ANSWERS,
    PROMPTS,
    TEMPLATE_VERSION,
    template_version,
)
from fashion_assets.instructions.training_set import (
    MIN_PER_ITEM,
    conversations,
    instructions_per_item,
    merge_partitions,
    missing_coverage,
    schema_problems,
    split_of,
    split_overlap,
)
from fashion_assets.storage import LocalObjectStore
from fashion_assets_tests.helpers import QuietHandler, loopback_server

ITEMS = demo_item_rows(600)


def _row(category="02top_02t-shirt", season="summer", gender="male", color="White", i="a"):
    return {"item_id": i, "category": category, "season": season, "gender": gender,
            "color": color}  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b", "score"),
    [("Black", "White", 3), ("Black", "Red", 2), ("Blue", "Brown", 2), ("Brown", "Blue", 2),
     ("Red", "Red", 1), ("Red", "Green", 0), ("Mixed", "Mixed", 0), ("Mixed", "Gray", 2)],
)  # fmt: skip
def test_color_score(a, b, score):
    assert color_score(a, b) == score


def test_compatible_needs_complementary_category_same_season_gender_and_no_clash():
    top = _row()
    assert compatible(top, _row("04bottom_01pants", i="b"))
    assert compatible(top, _row("04bottom_01pants", gender="both", i="b"))
    assert not compatible(top, _row("02top_04shirt", i="b")), "two tops are not an outfit"
    assert not compatible(top, _row("04bottom_01pants", season="winter", i="b"))
    assert not compatible(top, _row("04bottom_01pants", gender="female", i="b"))
    assert not compatible(_row(color="Red"), _row("04bottom_01pants", color="Green", i="b"))


def test_every_category_has_complements_and_recommendations_are_compatible():
    assert set(COMPLEMENTS) == set(CATEGORIES)
    index = CatalogueIndex(ITEMS)
    found = Counter()
    for item in ITEMS:
        partners = recommend(item, index, seed="s")
        assert partners == recommend(item, index, seed="s"), "deterministic"
        assert len(partners) <= len(COMPLEMENTS[item["category"]])
        for p in partners:
            assert compatible(item, p), (item["item_id"], p["item_id"])
        found[item["category"]] += bool(partners)
    assert set(found) == set(CATEGORIES) and all(found.values())


def test_generator_is_deterministic_and_seed_dependent():
    assert generate(ITEMS[:200]) == generate(ITEMS[:200])
    assert generate(ITEMS[:200]) != generate(ITEMS[:200], GeneratorConfig(seed=1))


def test_generated_rows_are_valid_and_cover_the_catalogue():
    rows = generate(ITEMS)
    assert schema_problems(rows) == []
    assert instructions_per_item(rows) >= MIN_PER_ITEM
    assert missing_coverage(rows) == []
    assert {r["task"] for r in rows} == set(PROMPTS)
    assert {r["generator_version"] for r in rows} == {TEMPLATE_VERSION}
    for row in rows:
        assert row["task"] in tasks_for(row["item_id"], GeneratorConfig())


def test_attribute_answers_are_vocabulary_json_of_the_item():
    by_id = {i["item_id"]: i for i in ITEMS}
    for row in generate(ITEMS):
        if row["task"] not in ("attributes", "title_attributes"):
            continue
        answer = json.loads(json.loads(row["messages"])[1]["content"][0]["text"])
        item = by_id[row["item_id"]]
        specs = {k: answer.pop(k) for k in list(answer) if "." in k}
        assert specs == item["specs"]
        Item(
            item_id="x:1",
            source="x",
            sku="1",
            url="u",
            title="t",
            image_url="i",
            specs=specs,
            **{k: tuple(v) if isinstance(v, list) else v for k, v in answer.items()},
        )
        assert answer["category"] == item["category"] and answer["color"] == item["color"]


def test_styling_and_shopping_answers_name_real_compatible_items():
    by_id = {i["item_id"]: i for i in ITEMS}
    rows = generate(ITEMS)
    for row in rows:
        if row["task"] not in ("styling", "shopping_request"):
            continue
        answer = json.loads(row["messages"])[1]["content"][0]["text"]
        named = [line.rsplit("(", 1)[1].split(")")[0] for line in answer.splitlines()
                 if line.startswith("- ")]  # fmt: skip
        assert named and all(n in by_id for n in named)
        item = by_id[row["item_id"]]
        if row["task"] == "styling":
            assert all(compatible(item, by_id[n]) for n in named)
        else:
            assert named[0] == item["item_id"]
            assert all(by_id[n]["category"] == item["category"] for n in named)


def test_season_answers_follow_the_item_season():
    rows = generate(ITEMS, GeneratorConfig(language="en", extra_tasks_per_item=4))
    by_id = {i["item_id"]: i for i in ITEMS}
    checked = 0
    for row in rows:
        if row["task"] != "season":
            continue
        msgs = json.loads(row["messages"])
        question, answer = msgs[0]["content"][1]["text"], msgs[1]["content"][0]["text"]
        own = label("season", by_id[row["item_id"]]["season"], "en")
        asked_own = f" {own}" in question
        assert answer.startswith("Yes") == asked_own, (question, answer)
        checked += 1
    assert checked > 100


def test_bad_generator_settings_fail_clearly():
    with pytest.raises(ValueError, match="language"):
        GeneratorConfig(language="fr")
    with pytest.raises(ValueError, match="extra_tasks_per_item"):
        GeneratorConfig(extra_tasks_per_item=9)


def test_a_template_change_changes_the_version():
    changed = json.loads(json.dumps(PROMPTS))
    changed["season"]["ko"][0] = "겨울에도 괜찮을까?"
    assert template_version(changed, ANSWERS) != TEMPLATE_VERSION
    assert template_version(PROMPTS, ANSWERS) == TEMPLATE_VERSION
    assert template_version(PROMPTS, ANSWERS, logic=99) != TEMPLATE_VERSION


class ChatServer:
    """A loopback server speaking OpenAI's chat-completions protocol."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, str]] = []

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        chat = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = body["messages"][-1]["content"]
                chat.calls.append((time.monotonic(), text, self.headers.get("Authorization", "")))
                if "FAIL" in text:
                    return self.reply(500, b'{"error": "boom"}')
                if "GARBAGE" in text:
                    return self.reply(200, b'{"choices": []}')
                reply = {"choices": [{"message": {"role": "assistant",
                                                  "content": f"(다르게) {text}"}}]}  # fmt: skip
                return self.reply(200, json.dumps(reply).encode())

        with loopback_server(Handler) as origin:
            yield f"{origin}/v1"


def test_augmenter_paraphrases_caches_rate_limits_and_falls_back(tmp_path):
    rows = generate(ITEMS[:40])
    rows[0]["messages"] = rows[0]["messages"].replace('"text": "', '"text": "FAIL ', 1)
    rows[1]["messages"] = rows[1]["messages"].replace('"text": "', '"text": "GARBAGE ', 1)
    store = LocalObjectStore(tmp_path / "objects")
    chat = ChatServer()
    with chat.serve() as url:
        config = AugmentConfig(base_url=url, model="tiny", api_key="sk-test", min_interval_s=0.02)
        sent: list[float] = []
        client = httpx.Client(
            headers={"Authorization": "Bearer sk-test"},
            event_hooks={"request": [lambda _: sent.append(time.monotonic())]},
        )
        first = Augmenter(config, store, client)
        out = augment_rows(rows, first)
        calls = len(chat.calls)
        second = Augmenter(config, store)
        again = augment_rows(rows, second)
    assert first.stats["failed"] == 2
    distinct = len({json.loads(r["messages"])[0]["content"][-1]["text"] for r in rows})
    assert first.stats["augmented"] + first.stats["cached"] == len(rows) - 2
    assert calls == distinct, "each distinct text is asked once"
    assert out[0] == rows[0] and out[1] == rows[1], "failures keep the template text"
    for row in out[2:]:
        assert row["template_id"].endswith("+aug")
        assert json.loads(row["messages"])[0]["content"][-1]["text"].startswith("(다르게) ")
    assert schema_problems(out) == []
    assert len(chat.calls) == calls + 2, "the second run only retries the two failures"
    assert again[2:] == out[2:] and second.stats["cached"] == len(rows) - 2
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert len(sent) == calls and min(gaps) >= 0.019  # 20 ms apart, within 1 ms of stamping
    assert all(auth == "Bearer sk-test" for _, _, auth in chat.calls)


def test_unreachable_augmenter_falls_back_for_every_row(tmp_path):
    rows = generate(ITEMS[:10])
    augmenter = Augmenter(AugmentConfig(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=1),
                          LocalObjectStore(tmp_path))  # fmt: skip
    assert augment_rows(rows, augmenter) == rows
    assert augmenter.stats["failed"] == len(rows), "failures are not cached: each row tried"


def test_split_is_by_item_deterministic_and_about_the_requested_share():
    ids = [f"x:{i}" for i in range(4000)]
    shares = Counter(split_of(i) for i in ids)
    assert [split_of(i) for i in ids] == [split_of(i) for i in ids]
    assert 0.03 < shares["eval"] / len(ids) < 0.07
    assert Counter(split_of(i, eval_percent=20) for i in ids)["eval"] > shares["eval"]


def test_training_set_merges_latest_partition_and_keeps_items_in_one_split():
    old = [{**r, "partition": "2026-11-01"} for r in generate(ITEMS)]
    new = [{**r, "partition": "2026-11-02"} for r in generate(ITEMS, GeneratorConfig(seed=5))]
    merged = merge_partitions(old + new)
    keys = Counter((r["item_id"], r["task"], r["language"]) for r in merged)
    assert max(keys.values()) == 1
    latest = {(r["item_id"], r["task"]): r["instruction_id"] for r in new}
    for r in merged:
        if (r["item_id"], r["task"]) in latest:
            assert r["instruction_id"] == latest[(r["item_id"], r["task"])]
    splits = conversations(merged)
    assert not split_overlap(splits)
    assert len(splits["train"]) + len(splits["eval"]) == len(merged)
    for record in splits["train"] + splits["eval"]:
        has_image = record["messages"][0]["content"][0] == {"type": "image"}
        assert has_image == (record["image_key"] is not None)


def test_schema_problems_catch_broken_rows():
    rows = generate(ITEMS[:5])
    broken = [
        {**rows[0], "messages": "not json"},
        {**rows[1], "task": "poetry"},
        {**rows[2], "image_key": None},
        {k: v for k, v in rows[3].items() if k != "language"},
        rows[4],
        rows[4],
    ]
    problems = schema_problems(broken)
    assert len(problems) == 5 and any("duplicate" in p for p in problems)
