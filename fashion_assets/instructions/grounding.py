"""What an instruction may state: what a photo shows, what a title says, what a prompt gives.

Written down once, here, and obeyed by every template: an answer states only what its input
supports. A photo shows the garment's kind, colour and cut (`VISIBLE_FIELDS`); it does not show
who it is for, the season it is made for, its fibres, stretch, sheerness or lining
(`STATED_FIELDS`): an image task that needs those receives them in its prompt, the way a
product-registration assistant receives the seller's sheet. A text task answers from its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fashion_assets.catalog.item import std_attributes
from fashion_assets.catalog.labels import for_whom, label
from fashion_assets.catalog.normalize import fiber_of, in_title
from fashion_assets.catalog.vocabulary import SPEC_FIELDS, category_specification_of
from fashion_assets.catalog.words import tokens

Row = Mapping[str, Any]

#: Fields a product photo shows.
VISIBLE_FIELDS = ("category", "category_specification", "color", *SPEC_FIELDS)
#: Fields no photo shows: who it is for, when it is worn, what it is made of.
STATED_FIELDS = (
    "gender", "age_group", "season", "fiber_composition", "elasticity", "transparency",
    "isfleece",
)  # fmt: skip
#: How the product sheet names stretch and sheerness before their value ("신축성 약간").
PREFIXES = {
    "elasticity": {"ko": "신축성 ", "en": "stretch "},
    "transparency": {"ko": "비침 ", "en": "sheerness "},
}
#: Sleeve lengths a title may name ("반팔티", "Sleeveless Top"): Korean words anywhere in a
#: word, English as whole words.
_SLEEVES = {
    "short sleeves": (("반팔", "반소매"), ("short sleeve", "half sleeve")),
    "long sleeves": (("긴팔", "긴소매"), ("long sleeve", "full sleeve")),
    "sleeveless": (("민소매", "나시"), ("sleeveless",)),
}


def visible(item: Row) -> dict[str, object]:
    """The item's attributes a photo of it shows."""
    return {k: v for k, v in std_attributes(item).items() if k in VISIBLE_FIELDS}


def facts(item: Row) -> dict[str, object]:
    """The item's attributes no photo shows (an adult item's age group goes without saying)."""
    attrs = std_attributes(item)
    out: dict[str, object] = {k: attrs[k] for k in STATED_FIELDS if attrs.get(k)}
    if item.get("age_group", "adult") != "adult":
        out["age_group"] = item["age_group"]
    return out


def facts_line(item: Row, language: str) -> str:
    """The facts as a seller's sheet in a prompt ("여성용 · 겨울 · 울, 폴리에스터 · 기모 안감")."""
    f = facts(item)
    parts = [for_whom(item["gender"], item.get("age_group", "adult"), language),
             label("season", item["season"], language)]  # fmt: skip
    if f.get("fiber_composition"):
        parts.append(", ".join(label("fiber_composition", x, language)
                               for x in f["fiber_composition"]))  # fmt: skip
    for field, prefixes in PREFIXES.items():
        if f.get(field):
            parts.append(f"{prefixes[language]}{label(field, str(f[field]), language)}")
    if f.get("isfleece"):
        parts.append(label("isfleece", str(f["isfleece"]), language))
    return " · ".join(parts)


def title_states(item: Row) -> dict[str, object]:
    """The attributes the item's title states (and that agree with the item): what a
    title-to-attributes answer may contain."""
    title = item["title"]
    out: dict[str, object] = {}
    for field in ("category", "color", "gender", "season"):
        if in_title(field, title) == item[field]:
            out[field] = item[field]
    if "category" in out:
        out["category_specification"] = category_specification_of(item["category"])
    if item.get("age_group", "adult") != "adult" and in_title("age_group", title):
        out["age_group"] = item["age_group"]
    named = {fiber_of(t) for t in tokens(title)} - {None}
    fibers = [f for f in std_attributes(item)["fiber_composition"] if f in named]
    if fibers:
        out["fiber_composition"] = fibers
    sleeve = (item.get("specs") or {}).get("top.sleeve_length_type")
    if sleeve in _SLEEVES:
        korean, english = _SLEEVES[sleeve]
        words = " ".join(tokens(title))
        if any(k in title for k in korean) or any(f" {e}" in f" {words} " for e in english):
            out["top.sleeve_length_type"] = sleeve
    return out
