"""Query understanding: vocabulary words in a shopper's query become filters.

"블랙 겨울 코트" and "black winter coat" both say colour Black, season winter, category coat.
The words are found by the same lexicons that read shop pages (`catalog.colours`,
`catalog.garments`, `catalog.seasons`, `catalog.normalize`), so every spelling the crawler
understands ("navy", "네이비", "men's", "남성", "FW", "패딩") is understood in a query too.
Korean particles after a word ("코트를", "남성용") are dropped when the stem is a known word.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from fashion_assets.catalog.colours import COLOUR_WORDS
from fashion_assets.catalog.garments import GARMENT_WORDS, NOT_APPAREL
from fashion_assets.catalog.normalize import AGE_WORDS, GENDER_WORDS
from fashion_assets.catalog.seasons import SEASON_WORDS, season_of
from fashion_assets.catalog.words import Lexicon, Match, is_hangul, tokens

#: Garment groups a shopper names instead of a garment ("아우터", "tops").
GROUP_WORDS = Lexicon({
    "outer": ["outer", "outerwear", "아우터"],
    "top": ["top", "상의"],
    "bottom": ["bottom", "bottoms", "하의"],
})  # fmt: skip
_PARTICLES = ("으로", "에서", "이랑", "용", "을", "를", "이", "가", "은", "는", "의", "로", "에",
              "도", "랑", "와", "과")  # fmt: skip
_LEXICONS: tuple[Lexicon, ...] = (COLOUR_WORDS, GARMENT_WORDS, SEASON_WORDS, GENDER_WORDS,
                                  AGE_WORDS, GROUP_WORDS)  # fmt: skip
#: A shopper asking for men's or women's clothes is shown unisex items too.
_WITH_UNISEX = {"male": ("male", "both"), "female": ("female", "both"), "both": ("both",)}


@dataclass(frozen=True)
class Understood:
    """One filter read from the query: the field, the values it accepts, the words that said
    it."""

    field: str
    values: tuple[str, ...]
    words: str


def _known(word: str) -> bool:
    return any(lexicon.exact(word) is not None for lexicon in _LEXICONS)


def _without_particle(token: str) -> str:
    if not is_hangul(token) or _known(token):
        return token
    for particle in _PARTICLES:
        stem = token.removesuffix(particle)
        if stem != token and len(stem) >= 2 and _known(stem):
            return stem
    return token


def query_tokens(query: str) -> list[str]:
    """The query's folded tokens, Korean particles dropped from known words."""
    return [_without_particle(t) for t in tokens(query)]


def _words(matches: Iterable[Match]) -> str:
    return " ".join(sorted({m.text for m in matches}))


def understand(query: str) -> list[Understood]:
    """The filters a query states, in filter-column order (nothing for words it does not
    know; an accessory word such as "bag" states no apparel category)."""
    toks = query_tokens(query)
    found: list[Understood] = []
    garments = [m for m in GARMENT_WORDS.find(toks) if m.value != NOT_APPAREL]
    if garments:  # the head noun is the rightmost garment ("shirt dress" is a dress)
        found.append(Understood("category", (garments[0].value,), garments[0].text))
    elif groups := GROUP_WORDS.find(toks, suffixes=False):
        found.append(Understood("category_specification", (groups[0].value,), groups[0].text))
    if genders := GENDER_WORDS.find(toks, suffixes=False):
        named = {m.value for m in genders}
        values = _WITH_UNISEX[named.pop()] if len(named) == 1 else ("both",)
        found.append(Understood("gender", values, _words(genders)))
    if ages := AGE_WORDS.find(toks, suffixes=False):
        named = {m.value for m in ages}
        if len(named) == 1:
            found.append(Understood("age_group", (named.pop(),), _words(ages)))
    if seasons := SEASON_WORDS.find(toks, suffixes=False):
        season = season_of(frozenset().union(*(m.value for m in seasons)))
        if season:
            found.append(Understood("season", (season,), _words(seasons)))
    if colours := COLOUR_WORDS.find(toks):
        values = tuple(dict.fromkeys(m.value for m in reversed(colours)))
        found.append(Understood("color", values, _words(colours)))
    return found


def as_filters(
    understood: Iterable[Understood], ignore: Collection[str] = ()
) -> dict[str, list[str]]:
    """The understood filters as a filter mapping, leaving out the fields in `ignore`."""
    return {u.field: list(u.values) for u in understood if u.field not in ignore}
