"""Instruction generation: styling rules, generator, augmenter, training set."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from fashion_assets.catalog.labels import AUDIENCE, KO, for_whom, label
from fashion_assets.catalog.vocabulary import CATEGORIES, category_specification_of
from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.instructions.augment import AugmentConfig, Augmenter, augment_rows
from fashion_assets.instructions.generator import (
    GeneratorConfig,
    generate,
    request_of,
    satisfies,
    tasks_for,
)
from fashion_assets.instructions.grounding import STATED_FIELDS, title_states
from fashion_assets.instructions.quality import audit, particle_errors
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
    TASKS,
    TEMPLATE_VERSION,
    render,
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
    assert {r["task"] for r in rows} == set(TASKS)
    assert {r["generator_version"] for r in rows} == {TEMPLATE_VERSION}
    for row in rows:
        assert row["task"] in tasks_for(row["item_id"], GeneratorConfig())


def test_attribute_answers_are_vocabulary_json_of_what_the_input_shows():
    by_id = {i["item_id"]: i for i in ITEMS}
    rows = generate(ITEMS, GeneratorConfig(extra_tasks_per_item=4))
    with_facts = 0
    for row in rows:
        if row["task"] not in ("attributes", "title_attributes"):
            continue
        prompt = json.loads(row["messages"])[0]["content"][-1]["text"]
        answer = json.loads(json.loads(row["messages"])[1]["content"][0]["text"])
        item = by_id[row["item_id"]]
        record = {**item, **item["specs"]}
        for key, value in answer.items():
            if key == "fiber_composition":
                assert set(value) <= set(record[key]), (answer, item)
            else:
                assert record[key] == value, (key, answer, item)
        if row["task"] == "title_attributes":
            assert answer == title_states(item)
            continue
        assert {"category", "color"} <= set(answer)
        stated = set(answer) & set(STATED_FIELDS)
        if row["template_id"].endswith("+facts"):
            with_facts += 1
            assert {"gender", "season"} <= stated and "판매자" in prompt
        else:
            assert not stated, "a photo alone shows no gender, season or fibre"
    assert with_facts > 50


def test_a_title_answer_holds_only_what_the_title_says():
    item = {
        **ITEMS[0],
        "title": "[하루공방] 여성 반팔 코튼 티셔츠",
        "category": "02top_02t-shirt",
        "color": "Black",
        "gender": "female",
        "season": "summer",
        "fiber_composition": ["Cotton", "Polyester"],
        "specs": {"top.sleeve_length_type": "short sleeves", "top.neck_color_design": "hood"},
    }
    assert title_states(item) == {
        "category": "02top_02t-shirt", "category_specification": "top", "gender": "female",
        "fiber_composition": ["Cotton"], "top.sleeve_length_type": "short sleeves",
    }  # fmt: skip


@pytest.mark.parametrize("language", ["ko", "en"])
def test_no_answer_states_what_its_input_does_not(language):
    rows = generate(ITEMS, GeneratorConfig(language=language, extra_tasks_per_item=4))
    report = audit(rows, ITEMS)
    assert report.clean(), (report.table(), dict(report.examples))
    assert {r["task"] for r in report.table()} == set(TASKS)


def test_the_audit_finds_ungrounded_contradictory_ungrammatical_and_unmet_answers():
    a, b = ITEMS[0], ITEMS[1]
    women = next(i for i in ITEMS if i["gender"] == "female" and i["category"] != a["category"])

    def row(task, item, prompt, answer, image=True, iid="r"):
        msgs = [
            {
                "role": "user",
                "content": [
                    *([{"type": "image"}] if image else []),
                    {"type": "text", "text": prompt},
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": answer}]},
        ]
        return {"instruction_id": iid, "item_id": item["item_id"], "task": task,
                "language": "ko", "messages": json.dumps(msgs, ensure_ascii=False),
                "image_key": item["image_key"] if image else None}  # fmt: skip

    attrs = json.dumps({"category": a["category"], "season": a["season"]})
    rows = [
        row("attributes", a, "이 옷의 속성을 JSON으로 정리해줘.", attrs),  # season: no photo shows it
        row("attributes", a, "이 옷의 속성을 JSON으로 정리해줘.", json.dumps({"category": "x"})),
        row("description", b, "이 상품을 설명해줘.", "남녀공용용 블랙으로 코트입니다."),
        row("shopping_request", {**a, "gender": "both"}, "남녀공용 추천해줘",
            f"- {women['title']} ({women['item_id']})", image=False),
    ]  # fmt: skip
    report = audit(rows, [a, b, women])
    table = {r["task"]: r for r in report.table()}
    assert table["attributes"]["ungrounded"] >= 1
    assert table["attributes"]["contradictions"] == 2
    assert table["description"]["particle_errors"] == 1  # 남녀공용용 (블랙으로 is right)
    assert table["description"]["ungrounded"] == 1  # who it is for, from a photo alone
    assert table["shopping_request"]["unmet_constraints"] == 1
    found = particle_errors("블랙로 그레이으로 브라운와 레드과 코트는 셔츠은 브라운은")
    assert sorted(found) == sorted(["블랙로", "그레이으로", "브라운와", "레드과", "셔츠은"])


def _has_final_consonant(word: str) -> tuple[bool, bool]:
    """(has a final consonant, that consonant is ㄹ), from the Hangul syllable arithmetic."""
    last = word.rstrip(")")[-1]
    if not "가" <= last <= "힣":
        return False, False
    final = (ord(last) - 0xAC00) % 28
    return final != 0, final == 8


_RULES = {"은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "가": ("이", "가"),
          "을": ("을", "를"), "를": ("을", "를"), "과": ("과", "와"), "와": ("과", "와")}  # fmt: skip


def _right_particle(word: str, particle: str) -> str:
    final, rieul = _has_final_consonant(word)
    if particle in ("로", "으로"):
        return "으로" if final and not rieul else "로"
    with_final, without = _RULES[particle]
    return with_final if final else without


def test_every_korean_template_takes_every_vocabulary_value_with_the_right_particles():
    """Each slot followed by a particle, filled with every label it can hold, checked by the
    final-consonant rule computed here (not by the library that picks the particles)."""
    words = {
        "color": list(KO["color"].values()), "a": list(KO["color"].values()),
        "b": list(KO["color"].values()), "category": list(KO["category"].values()),
        "item": list(KO["category"].values()), "season": list(KO["season"].values()),
        "asked": list(KO["season"].values()), "audience": list(AUDIENCE["ko"].values()),
        "for_whom": [for_whom(g, a) for g, a in AUDIENCE["ko"]],
    }  # fmt: skip
    slot = re.compile(r"\{(\w+)(?::(\w+))?\}")
    templates = [t for task in PROMPTS.values() for t in task["ko"]]
    templates += list(ANSWERS["ko"].values())
    checked = 0
    for template in templates:
        names = [m.group(1) for m in slot.finditer(template)]
        base = {n: "값" for n in names}
        for name in names:
            for value in words.get(name, ["값"]):
                text = render(template, "ko", **{**base, name: value})
                assert "용용" not in text, text
                for m in re.finditer(rf"{re.escape(value)}(으로|로|은|는|이|가|을|를|과|와)(?![가-힣])",
                                     text):  # fmt: skip
                    assert m.group(1) == _right_particle(value, m.group(1)), text
                    checked += 1
    assert checked >= 3 * len(KO["color"])  # {a:와}, {b:는} and {color:로}, every colour


def test_the_vocabulary_labels_are_checked_by_the_particle_audit():
    for value in KO["color"].values():
        for particle in ("으로", "로", "은", "는", "과", "와"):
            wrong = particle != _right_particle(value, particle)
            assert bool(particle_errors(f"{value}{particle} ")) == wrong, (value, particle)


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
            assert all(satisfies(by_id[n], request_of(item)) for n in named)


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
        asked_own = f" {own}" in question.split("Product sheet")[0]
        assert answer.startswith("Yes") == asked_own, (question, answer)
        checked += 1
    assert checked >= 3 * len(KO["color"])  # {a:와}, {b:는} and {color:로}, every colour


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


class FakeClock:
    """A monotonic clock that moves only when something sleeps."""

    def __init__(self) -> None:
        self.time, self.sleeps = 100.0, []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds


def test_augmenter_paraphrases_caches_rate_limits_and_falls_back(tmp_path):
    rows = generate(ITEMS[:40])
    rows[0]["messages"] = rows[0]["messages"].replace('"text": "', '"text": "FAIL ', 1)
    rows[1]["messages"] = rows[1]["messages"].replace('"text": "', '"text": "GARBAGE ', 1)
    store = LocalObjectStore(tmp_path / "objects")
    chat = ChatServer()
    with chat.serve() as url:
        config = AugmentConfig(base_url=url, model="tiny", api_key="sk-test", min_interval_s=0.02)
        client = httpx.Client(headers={"Authorization": "Bearer sk-test"})
        clock = FakeClock()  # time stands still unless the augmenter sleeps: spacing is exact
        first = Augmenter(config, store, client, clock=clock.now, sleep=clock.sleep)
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
    assert clock.sleeps == [pytest.approx(0.02)] * (calls - 1), "each call 20 ms after the last"
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


def _garment(i: int, category: str, gender: str, age: str = "adult", color: str = "Black"):
    return {"item_id": f"g:{i}", "title": f"garment {i}", "category": category,
            "category_specification": category_specification_of(category), "gender": gender,
            "age_group": age, "season": "winter", "color": color, "fiber_composition": ["Wool"],
            "specs": {}, "image_key": f"images/{i}.jpg"}  # fmt: skip


def test_outfits_never_cross_age_groups_nor_mix_men_and_women():
    catalogue = [
        _garment(1, "02top_02t-shirt", "both"),  # the anchor: a unisex adult tee
        _garment(2, "04bottom_01pants", "female", "kids"),  # children's: never for an adult
        _garment(3, "04bottom_02skirt", "female"),
        _garment(4, "01outer_01coat", "male"),  # after a skirt, a men's coat would mix genders
        _garment(5, "01outer_01coat", "both"),
        _garment(6, "02top_02t-shirt", "both", "kids"),
    ]
    index = CatalogueIndex(catalogue)
    for seed in map(str, range(20)):
        outfit = recommend(catalogue[0], index, seed=seed)
        ids = [p["item_id"] for p in outfit]
        assert "g:2" not in ids and "g:6" not in ids
        assert not {"g:3", "g:4"} <= set(ids), ids
    kids = recommend(catalogue[5], index, seed="s")
    assert [p["item_id"] for p in kids] == ["g:2"]


def test_a_shopping_request_is_met_in_full():
    jumpsuit = "03-2onepiece(jumpsuite)"
    unisex, women = _garment(1, jumpsuit, "both"), _garment(2, jumpsuit, "female")
    request = request_of(unisex)
    assert satisfies(unisex, request) and not satisfies(women, request)
    assert satisfies(unisex, request_of(women)), "a women's request takes unisex items"
    assert not satisfies({**unisex, "age_group": "kids"}, request)
    rows = generate([unisex, women, _garment(3, jumpsuit, "both")],
                    GeneratorConfig(shopping_every=1))  # fmt: skip
    answers = [json.loads(r["messages"])[1]["content"][0]["text"] for r in rows
               if r["task"] == "shopping_request" and r["item_id"] == "g:1"]  # fmt: skip
    assert answers and "g:2" not in answers[0] and "g:3" in answers[0]
