"""Styling rules as plain tables: which items go together, and a recommender built on them.

Three rules decide whether two items can be worn together:
- complementary categories (`COMPLEMENTS`): a top wants a bottom and an outer, a dress an outer;
- season, age group and gender consistency (`season_ok`, `gender_ok`): same season, same age
  group (children's clothes go with children's clothes); "both" fits anyone, but one outfit is
  worn by one person, so once a partner is men's or women's the rest follow it;
- colour harmony (`COLOR_HARMONY`): neutrals go with everything; other colours have listed
  partners; two loud colours together score lowest.
`recommend` picks, for each complementary slot, the best-scoring catalogue item, ties broken
deterministically. The RAG service reuses these tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from fashion_assets.catalog.vocabulary import CATEGORIES, COLORS, GENDERS

Item = Mapping[str, Any]

_OUTERS = ("01outer_01coat", "01outer_02jacket", "01outer_03jumper", "01outer_04cardigan")
_TOPS = ("02top_01blouse", "02top_02t-shirt", "02top_03sweater", "02top_04shirt")
_BOTTOMS = ("04bottom_01pants", "04bottom_02skirt")

#: For each category, the slots an outfit around it fills: each slot is the categories that
#: may fill it, best first.
COMPLEMENTS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    **{c: (_TOPS, _BOTTOMS) for c in _OUTERS},
    **{c: (_BOTTOMS, _OUTERS) for c in _TOPS},
    "02top_05vest": (("02top_04shirt", "02top_01blouse", "02top_02t-shirt"), _BOTTOMS),
    "03-1onepiece(dress)": (("01outer_04cardigan", "01outer_02jacket", "01outer_01coat"),),
    "03-2onepiece(jumpsuite)": (("01outer_02jacket", "01outer_04cardigan", "02top_02t-shirt"),),
    "04bottom_01pants": (_TOPS, _OUTERS),
    "04bottom_02skirt": (("02top_01blouse", "02top_03sweater", "02top_02t-shirt"), _OUTERS),
}

NEUTRALS = frozenset({"Black", "White", "Gray", "Beige"})
#: Colours that pair well beyond the neutrals (symmetric).
COLOR_HARMONY: Mapping[str, frozenset[str]] = {
    "Blue": frozenset({"Brown", "Yellow", "Orange", "Pink"}),
    "Brown": frozenset({"Blue", "Green", "Orange", "Yellow"}),
    "Green": frozenset({"Brown", "Pink", "Yellow"}),
    "Red": frozenset({"Blue"}),
    "Orange": frozenset({"Blue", "Brown"}),
    "Pink": frozenset({"Blue", "Green", "Purple"}),
    "Yellow": frozenset({"Blue", "Brown", "Green", "Purple"}),
    "Purple": frozenset({"Pink", "Yellow"}),
    "Mixed": frozenset(),
}


def color_score(a: str, b: str) -> int:
    """3 neutral with neutral, 2 neutral with a colour or a listed pair, 1 same colour, 0 clash."""
    if a in NEUTRALS and b in NEUTRALS:
        return 3
    if (
        a in NEUTRALS
        or b in NEUTRALS
        or b in COLOR_HARMONY.get(a, ())
        or a in COLOR_HARMONY.get(b, ())
    ):
        return 2
    return 1 if a == b and a != "Mixed" else 0


def season_ok(a: str, b: str) -> bool:
    """Items of the same season go together."""
    return a == b


def gender_ok(a: str, b: str) -> bool:
    """'both' fits anyone; otherwise the genders must match."""
    return a == b or "both" in (a, b)


def compatible(a: Item, b: Item) -> bool:
    """Whether `b` may complete an outfit around `a` (a complementary category, same season and
    age group, consistent gender, colours that do not clash)."""
    slots = COMPLEMENTS.get(a["category"], ())
    return (
        any(b["category"] in slot for slot in slots)
        and season_ok(a["season"], b["season"])
        and a.get("age_group", "adult") == b.get("age_group", "adult")
        and gender_ok(a["gender"], b["gender"])
        and color_score(a["color"], b["color"]) > 0
    )


def wearer_after(wearer: str, partner_gender: str) -> str:
    """Whom an outfit is for once a partner joins: a unisex outfit takes the partner's gender."""
    return partner_gender if wearer == "both" else wearer


def recommend(item: Item, catalogue: CatalogueIndex, seed: str = "") -> list[Item]:
    """One compatible item per complementary slot, deterministic for a seed.

    In each slot the pool is every compatible item with the best (colour score, category rank
    in the slot); a seeded hash of the item id picks one of them, so similar items get varied
    but reproducible partners. Slots with no compatible item are skipped.
    """
    chosen: list[Item] = []
    wearer, age = item["gender"], item.get("age_group", "adult")
    for slot in COMPLEMENTS.get(item["category"], ()):
        best: tuple[int, int] | None = None
        pool: list[Item] = []
        for rank, category in enumerate(slot):
            for color in COLORS:
                score = color_score(item["color"], color)
                key = (-score, rank)
                if score == 0 or (best is not None and key > best):
                    continue
                found = catalogue.pool(category, item["season"], color, wearer, age)
                if not found:
                    continue
                if best is None or key < best:
                    best, pool = key, list(found)
                else:
                    pool.extend(found)
        if pool:
            digest = hashlib.sha256(f"{seed}:{item['item_id']}:{len(chosen)}".encode()).digest()
            chosen.append(pool[int.from_bytes(digest[:8], "big") % len(pool)])
            wearer = wearer_after(wearer, chosen[-1]["gender"])
    return chosen


class CatalogueIndex:
    """Items grouped by (category, season, colour, gender, age group) for constant-time
    candidate lookup."""

    def __init__(self, items: Iterable[Item]):
        self._groups: dict[tuple[str, str, str, str, str], list[Item]] = {}
        for it in sorted(items, key=lambda i: i["item_id"]):
            key = (it["category"], it["season"], it["color"], it["gender"],
                   it.get("age_group", "adult"))  # fmt: skip
            self._groups.setdefault(key, []).append(it)

    def pool(
        self, category: str, season: str, color: str, gender: str, age_group: str = "adult"
    ) -> list[Item]:
        """Items of a category, season, colour and age group whose gender suits `gender`."""
        return [
            it
            for g in GENDERS
            if gender_ok(gender, g)
            for it in self._groups.get((category, season, color, g, age_group), ())
        ]


assert set(COMPLEMENTS) == set(CATEGORIES), "every category needs its complements"
