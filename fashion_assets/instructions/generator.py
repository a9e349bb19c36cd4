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

from fashion_assets.catalog.labels import audience, for_whom, label
from fashion_assets.catalog.vocabulary import SEASONS
from fashion_assets.instructions.grounding import facts, facts_line, title_states, visible
from fashion_assets.instructions.styling import NEUTRALS, CatalogueIndex, recommend
from fashion_assets.instructions.templates import (
    ANSWERS,
    IMAGE_TASKS,
    PROMPTS,
    TASKS,
    TEMPLATE_VERSION,
    render,
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
    variant: str = ""


def _lab(item: Row, field: str, lang: str) -> str:
    return label(field, item[field], lang)


def _fibers(item: Row, lang: str) -> str | None:
    fibers = list(
        item.get("fiber_composition") if item.get("fiber_composition") is not None else []
    )
    return ", ".join(label("fiber_composition", f, lang) for f in fibers) if fibers else None


def _prompt(task: str, lang: str, rng: random.Random, **fields: object) -> tuple[str, int]:
    options = PROMPTS[task][lang]
    idx = rng.randrange(len(options))
    return render(options[idx], lang, **fields), idx


def _json(attributes: Mapping[str, object]) -> str:
    return json.dumps(dict(attributes), ensure_ascii=False)


def _attributes(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    """Photo -> the attributes it shows; with the seller's sheet, those facts as well."""
    if rng.random() < 0.5:
        prompt, idx = _prompt("attributes", lang, rng)
        return _Pair(prompt, _json(visible(item)), idx)
    prompt, idx = _prompt("attributes_with_facts", lang, rng, facts=facts_line(item, lang))
    answer = {**visible(item), **facts(item)}
    return _Pair(prompt, _json(answer), idx, "+facts")


def _details(item: Row, lang: str) -> str:
    a = ANSWERS[lang]
    specs = item.get("specs") or {}
    parts = [
        a[key].format(**{slot: label(field, specs[field], lang)})
        for field, key, slot in (
            ("top.sleeve_length_type", "details_sleeve", "sleeve"),
            ("top.neck_color_design", "details_neck", "neck"),
            ("top.length_type", "details_length", "length"),
            ("pant.silhouette", "details_fit", "fit"),
        )
        if field in specs
    ]
    return "".join(parts)


def _description(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    """Photo + product sheet -> a description of what both show."""
    a, age = ANSWERS[lang], item.get("age_group", "adult")
    answer = render(
        a["description"], lang, color=_lab(item, "color", lang),
        category=_lab(item, "category", lang), details=_details(item, lang),
        for_whom=for_whom(item["gender"], age, lang), audience=audience(item["gender"], age, lang),
        season=_lab(item, "season", lang),
    )  # fmt: skip
    fibers = _fibers(item, lang)
    if fibers:  # a sheet without fibres: nothing is said about them
        answer += a["description_fibers"].format(fibers=fibers)
    prompt, idx = _prompt("description", lang, rng, facts=facts_line(item, lang))
    return _Pair(prompt, answer, idx)


def _season(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    """Photo + product sheet + a season -> whether it suits, with the sheet's reasons."""
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
    answer = render(a["season_yes" if asked == item["season"] else "season_no"], lang, **fields)
    prompt, idx = _prompt(
        "season", lang, rng, season=label("season", asked, lang), facts=facts_line(item, lang)
    )
    return _Pair(prompt, answer.strip(), idx)


def _why(item: Row, other: Row, lang: str) -> str:
    a = ANSWERS[lang]
    if other["color"] in NEUTRALS or item["color"] in NEUTRALS:
        return a["why_neutral"]
    if other["color"] == item["color"]:
        return a["why_same"]
    return render(a["why_pair"], lang, a=_lab(item, "color", lang), b=_lab(other, "color", lang))


def styling_text(item: Row, partners: Sequence[Row], lang: str = "ko") -> str:
    """The rule-based styling answer: the partners, why each fits, and the season."""
    a = ANSWERS[lang]
    lines = [render(a["styling_intro"], lang, item=_lab(item, "category", lang))]
    for p in partners:
        lines.append(render(
            a["styling_line"], lang, title=p["title"], item_id=p["item_id"],
            category=_lab(p, "category", lang), color=_lab(p, "color", lang),
            why=_why(item, p, lang)))  # fmt: skip
    lines.append(render(a["styling_outro"], lang, season=_lab(item, "season", lang)))
    return "\n".join(lines)


def _styling(item: Row, index: CatalogueIndex, rng: random.Random, lang: str) -> _Pair | None:
    """Photo + product sheet -> an outfit of catalogue items that fit with it."""
    partners = recommend(item, index, seed=str(rng.random()))
    if not partners:
        return None
    prompt, idx = _prompt("styling", lang, rng, facts=facts_line(item, lang))
    return _Pair(prompt, styling_text(item, partners, lang), idx)


def _title_attributes(item: Row, _: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    """Title -> only the attributes the title states."""
    prompt, idx = _prompt("title_attributes", lang, rng, title=item["title"])
    return _Pair(prompt, _json(title_states(item)), idx)


def request_of(item: Row) -> dict[str, str]:
    """The constraints of a shopping request built around an item."""
    return {f: item[f] for f in ("category", "season", "color", "gender")} | {
        "age_group": item.get("age_group", "adult")
    }


def satisfies(candidate: Row, request: Mapping[str, str]) -> bool:
    """Whether an item meets every constraint of a request: category, season, colour and age
    group exactly; a men's or women's request takes unisex items too, a unisex request only
    unisex ones."""
    same = all(candidate.get(f, "adult") == v for f, v in request.items() if f != "gender")
    wanted, gender = request["gender"], candidate["gender"]
    return same and (gender == wanted or (wanted != "both" and gender == "both"))


def _shopping(item: Row, index: CatalogueIndex, rng: random.Random, lang: str) -> _Pair:
    """A request for the item's kind -> catalogue items that meet every constraint."""
    request = request_of(item)
    candidates = index.pool(*(request[f] for f in ("category", "season", "color", "gender",
                                                     "age_group")))  # fmt: skip
    pool = [p for p in candidates if p["item_id"] != item["item_id"] and satisfies(p, request)]
    picks = [item, *rng.sample(pool, min(2, len(pool)))]
    a = ANSWERS[lang]
    lines = [a["shopping_intro"]]
    lines += [a["shopping_line"].format(title=p["title"], item_id=p["item_id"]) for p in picks]
    age = item.get("age_group", "adult")
    prompt, idx = _prompt(
        "shopping_request", lang, rng, season=_lab(item, "season", lang),
        audience=audience(item["gender"], age, lang), audience_en=audience(item["gender"], age,
        "en").removesuffix("'s").removesuffix("'"), for_whom=for_whom(item["gender"], age, lang),
        category=_lab(item, "category", lang), color=_lab(item, "color", lang),
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
                "template_id": f"{task}.{lang}.{pair.template}{pair.variant}",
                "generator_version": TEMPLATE_VERSION,
            })  # fmt: skip
    return list(rows.values())
