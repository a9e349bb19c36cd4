"""Instruction pairs from filtered items, deterministic for a seed.

Every item gets an attribute-extraction pair (image -> JSON in the vocabulary) and
`extra_tasks_per_item` more drawn from description, season suitability, styling and
title -> attributes; one item in `shopping_every` also yields a shopping request answered from
the catalogue. Messages are in the chat format vision fine-tuning expects: the user turn holds
an image part (image tasks) and a text part, the assistant turn a text part.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fashion_assets.catalog.item import std_attributes
from fashion_assets.catalog.labels import label
from fashion_assets.catalog.vocabulary import SEASONS
from fashion_assets.instructions.styling import NEUTRALS, CatalogueIndex, recommend
from fashion_assets.instructions.templates import (
    ANSWERS,
    IMAGE_TASKS,
    PROMPTS,
    TASKS,
    TEMPLATE_VERSION,
)

Row = Mapping[str, Any]
LANGUAGES = ("ko", "en")
OPTIONAL_TASKS = ("description", "season", "styling", "title_attributes")
WARM_FIBERS = frozenset({"Wool", "protein fiber Others", "synthetic fiber Others"})
LIGHT_FIBERS = frozenset(
    {"Cotton", "Hemp", "cellulose fiber Others", "Silk", "Viscos rayon", "regenerated fiber Others"}
)
COLUMNS = (
    "instruction_id", "item_id", "task", "season", "category", "category_specification",
    "language", "messages", "image_key", "template_id", "generator_version",
)  # fmt: skip


@dataclass(frozen=True)
class GeneratorConfig:
    """How many pairs, in which language, from which seed."""

    language: str = "ko"
    seed: int = 0
    extra_tasks_per_item: int = 1
    shopping_every: int = 5

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")
        if not 0 <= self.extra_tasks_per_item <= len(OPTIONAL_TASKS):
            raise ValueError(f"extra_tasks_per_item must be 0..{len(OPTIONAL_TASKS)}")
        if self.shopping_every < 1:
            raise ValueError("shopping_every must be at least 1")


@dataclass(frozen=True)
class _Pair:
    prompt: str
    answer: str
    template: int


def _lab(item: Row, field: str, lang: str) -> str:
    return label(field, item[field], lang)


def _fibers(item: Row, lang: str) -> str:
    fibers = list(
        item.get("fiber_composition") if item.get("fiber_composition") is not None else []
    )
    if not fibers:
        return "혼방" if lang == "ko" else "mixed fibres"
    return ", ".join(label("fiber_composition", f, lang) for f in fibers)


def _prompt(task: str, lang: str, rng: random.Random, **fields: str) -> tuple[str, int]:
    options = PROMPTS[task][lang]
    idx = rng.randrange(len(options))
    return options[idx].format(**fields), idx


def _attributes_json(item: Row) -> str:
    return json.dumps(std_attributes(item), ensure_ascii=False)


def _attributes(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    prompt, idx = _prompt("attributes", lang, rng)
    return _Pair(prompt, _attributes_json(item), idx)


def _description(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    a = ANSWERS[lang]
    specs = item.get("specs") or {}
    details = ""
    if "top.sleeve_length_type" in specs:
        details += a["details_sleeve"].format(
            sleeve=label("top.sleeve_length_type", specs["top.sleeve_length_type"], lang)
        )
    if "top.neck_color_design" in specs:
        neck = label("top.neck_color_design", specs["top.neck_color_design"], lang)
        details += a["details_neck"].format(neck=neck)
    if "pant.silhouette" in specs:
        details += a["details_fit"].format(
            fit=label("pant.silhouette", specs["pant.silhouette"], lang)
        )
    answer = a["description"].format(
        color=_lab(item, "color", lang), category=_lab(item, "category", lang),
        gender=_lab(item, "gender", lang), season=_lab(item, "season", lang),
        fibers=_fibers(item, lang), details=details,
    )  # fmt: skip
    prompt, idx = _prompt("description", lang, rng)
    return _Pair(prompt, answer, idx)


def _season(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    a = ANSWERS[lang]
    asked = rng.choice(SEASONS)
    fibers = set(item.get("fiber_composition") if item.get("fiber_composition") is not None else [])
    reasons = []
    if asked == "winter" and item.get("isfleece") == "fleece_contain":
        reasons.append(a["reason_fleece"])
    wanted = WARM_FIBERS if asked == "winter" else LIGHT_FIBERS if asked == "summer" else set()
    relevant = (WARM_FIBERS if item["season"] == "winter" else LIGHT_FIBERS) & fibers
    for fiber in sorted(wanted & fibers or relevant):
        key = "reason_warm_fiber" if fiber in WARM_FIBERS else "reason_light_fiber"
        reasons.append(a[key].format(fiber=label("fiber_composition", fiber, lang)))
    sleeve = (item.get("specs") or {}).get("top.sleeve_length_type")
    if sleeve:
        reasons.append(
            a["reason_sleeve"].format(sleeve=label("top.sleeve_length_type", sleeve, lang))
        )
    fields = {"asked": label("season", asked, lang), "season": _lab(item, "season", lang),
              "reasons": " ".join(reasons)}  # fmt: skip
    answer = a["season_yes" if asked == item["season"] else "season_no"].format(**fields)
    prompt, idx = _prompt("season", lang, rng, season=label("season", asked, lang))
    return _Pair(prompt, answer.strip(), idx)


def _why(item: Row, other: Row, lang: str) -> str:
    a = ANSWERS[lang]
    if other["color"] in NEUTRALS or item["color"] in NEUTRALS:
        return a["why_neutral"]
    if other["color"] == item["color"]:
        return a["why_same"]
    return a["why_pair"].format(a=_lab(item, "color", lang), b=_lab(other, "color", lang))


def styling_text(item: Row, partners: Sequence[Row], lang: str = "ko") -> str:
    """The rule-based styling answer: the partners, why each fits, and the season."""
    a = ANSWERS[lang]
    lines = [a["styling_intro"].format(item=_lab(item, "category", lang))]
    for p in partners:
        lines.append(a["styling_line"].format(
            title=p["title"], item_id=p["item_id"], category=_lab(p, "category", lang),
            color=_lab(p, "color", lang), why=_why(item, p, lang)))  # fmt: skip
    lines.append(a["styling_outro"].format(season=_lab(item, "season", lang)))
    return "\n".join(lines)


def _styling(item: Row, index: CatalogueIndex, rng: random.Random, lang: str) -> _Pair | None:
    partners = recommend(item, index, seed=str(rng.random()))
    if not partners:
        return None
    prompt, idx = _prompt("styling", lang, rng)
    return _Pair(prompt, styling_text(item, partners, lang), idx)


def _title_attributes(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    prompt, idx = _prompt("title_attributes", lang, rng, title=item["title"])
    return _Pair(prompt, _attributes_json(item), idx)


def _shopping(item: Row, index: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    pool = [
        p
        for p in index.pool(item["category"], item["season"], item["color"], item["gender"])
        if p["item_id"] != item["item_id"]
    ]
    picks = [item, *rng.sample(pool, min(2, len(pool)))]
    a = ANSWERS[lang]
    lines = [a["shopping_intro"]]
    lines += [a["shopping_line"].format(title=p["title"], item_id=p["item_id"]) for p in picks]
    prompt, idx = _prompt(
        "shopping_request", lang, rng, season=_lab(item, "season", lang),
        gender=_lab(item, "gender", lang), category=_lab(item, "category", lang),
        color=_lab(item, "color", lang),
    )  # fmt: skip
    return _Pair(prompt, "\n".join(lines), idx)


BUILDERS: dict[str, Callable[..., _Pair | None]] = {
    "attributes": _attributes,
    "description": _description,
    "season": _season,
    "styling": _styling,
    "title_attributes": _title_attributes,
    "shopping_request": _shopping,
}
assert set(BUILDERS) == set(TASKS)


def messages(prompt: str, answer: str, with_image: bool) -> list[dict[str, Any]]:
    """A user/assistant exchange in the vision chat format (image part first when present)."""
    user: list[dict[str, str]] = [{"type": "image"}] if with_image else []
    user.append({"type": "text", "text": prompt})
    return [
        {"role": "user", "content": user},
        {"role": "assistant", "content": [{"type": "text", "text": answer}]},
    ]


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def tasks_for(item_id: str, config: GeneratorConfig) -> list[str]:
    """The tasks an item yields under a configuration."""
    rng = random.Random(f"{config.seed}:tasks:{item_id}")
    tasks = ["attributes", *rng.sample(OPTIONAL_TASKS, config.extra_tasks_per_item)]
    if _stable(f"{config.seed}:shop:{item_id}") % config.shopping_every == 0:
        tasks.append("shopping_request")
    return tasks


def generate(items: Sequence[Row], config: GeneratorConfig | None = None) -> list[dict[str, Any]]:
    """Instruction rows (see `COLUMNS`) for `items`, de-duplicated by instruction id."""
    config = config or GeneratorConfig()
    lang = config.language
    index = CatalogueIndex(items)
    rows: dict[str, dict[str, Any]] = {}
    for item in sorted(items, key=lambda i: i["item_id"]):
        for task in tasks_for(item["item_id"], config):
            rng = random.Random(f"{config.seed}:{task}:{item['item_id']}")
            pair = BUILDERS[task](item, index, rng, lang)
            if pair is None:
                continue
            with_image = task in IMAGE_TASKS
            msgs = json.dumps(messages(pair.prompt, pair.answer, with_image), ensure_ascii=False)
            iid = hashlib.sha256(f"{item['item_id']}|{task}|{lang}|{msgs}".encode()).hexdigest()
            rows.setdefault(iid[:24], {
                "instruction_id": iid[:24], "item_id": item["item_id"], "task": task,
                "season": item["season"], "category": item["category"],
                "category_specification": item["category_specification"], "language": lang,
                "messages": msgs, "image_key": item["image_key"] if with_image else None,
                "template_id": f"{task}.{lang}.{pair.template}",
                "generator_version": TEMPLATE_VERSION,
            })  # fmt: skip
    return list(rows.values())
