"""Which vocabulary season a shop's season text means.

Shops write single seasons ("Fall", "겨울"), collection codes with or without a year ("SS",
"24FW", "F/W 2024", "AW"), ranges ("봄/여름", "Spring-Summer") and all-year words ("사계절",
"All season", "간절기"). The text becomes a set of the four seasons, and the set one
vocabulary value: the vocabulary has spring&fall (the mid-weight seasons), summer and winter,
so a collection spanning a mid season and an extreme one (SS, FW) goes to the extreme, and a
garment worn in both summer and winter (all year) goes to the mid-weight season.
"""

from __future__ import annotations

import re

from fashion_assets.catalog.words import Lexicon, fold, is_hangul, tokens

SPRING, SUMMER, FALL, WINTER = "spring", "summer", "fall", "winter"
_ALL = frozenset({SPRING, SUMMER, FALL, WINTER})

# fmt: off
SEASON_WORDS = Lexicon({
    frozenset({SPRING}): ["spring", "봄", "초봄"],
    frozenset({SUMMER}): ["summer", "여름", "하절기", "초여름", "한여름"],
    frozenset({FALL}): ["fall", "autumn", "가을", "초가을", "늦가을", "pre fall"],
    frozenset({WINTER}): ["winter", "wintry", "겨울", "동절기", "한겨울", "늦겨울"],
    frozenset({SPRING, SUMMER}): ["ss", "spring summer", "봄여름", "춘하"],
    frozenset({FALL, WINTER}): ["fw", "aw", "fall winter", "autumn winter", "가을겨울", "추동"],
    frozenset({SPRING, FALL}): [
        "spring fall", "fall spring", "spring autumn", "봄가을", "간절기", "환절기", "춘추",
    ],
    _ALL: [
        "all season", "all seasons", "4 season", "4 seasons", "four seasons", "year round",
        "all year", "seasonless", "all weather", "사계절", "4계절", "사계절용",
    ],
}, plurals=False)
# fmt: on
_HANGUL_SEASONS = {"봄": SPRING, "여름": SUMMER, "가을": FALL, "겨울": WINTER}
_CODE = re.compile(r"\b([sfa])\s*/\s*([sw])\b")


def season_of(seasons: frozenset[str]) -> str | None:
    """The vocabulary season of a set of the four seasons (None for the empty set)."""
    if not seasons:
        return None
    if SUMMER in seasons and WINTER in seasons:
        return "spring&fall"
    if SUMMER in seasons and seasons <= {SPRING, SUMMER}:
        return "summer"
    if WINTER in seasons and seasons <= {FALL, WINTER}:
        return "winter"
    return "spring&fall"


def _seasons(text: object, loose_hangul: bool) -> frozenset[str]:
    toks = tokens(_CODE.sub(r"\1\2", fold(text)))
    toks = [t.removesuffix("용") if is_hangul(t) and len(t) > 2 else t for t in toks]
    found: set[str] = set()
    for match in SEASON_WORDS.find(toks, suffixes=False):
        found |= match.value
    if loose_hangul and not found:
        for tok in toks:
            if is_hangul(tok):
                found |= {s for word, s in _HANGUL_SEASONS.items() if word in tok}
    return frozenset(found)


def read_season(raw: object) -> str | None:
    """The vocabulary season a season field states ("24FW" -> winter, "봄/가을" ->
    spring&fall), or None."""
    return season_of(_seasons(raw, loose_hangul=True)) if raw is not None else None


def season_in_title(title: object) -> str | None:
    """The season a title states with a whole season word or code, or None."""
    return season_of(_seasons(title, loose_hangul=False)) if title else None
