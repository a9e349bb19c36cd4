"""Which vocabulary colour a shop's colour name means.

Shops name shades ("Burgundy", "Sage", "Indigo Wash", "멜란지그레이", "소라", "연청"), so each
basic colour has its shade names in English and Korean. Modifiers ("dark", "light", "딥",
"heather", "melange") never decide unless nothing else names a colour ("Navy Heather" is
navy, "Heather" alone is grey). Two colours joined by "/", "&", "+" or "and" are a two-tone
item (Mixed); a comma-separated list names several variants, which is not one colour.
"""

from __future__ import annotations

import re

from fashion_assets.catalog.words import Lexicon, fold, tokens

# fmt: off
COLOUR_WORDS = Lexicon({
    "Black": [
        "black", "jet black", "onyx", "ebony", "black wash", "블랙", "검정", "검정색", "검은색",
        "흑색", "차콜블랙", "먹색", "흑청",
    ],
    "White": [
        "white", "off white", "ivory", "snow", "ecru", "bone", "chalk", "optic white", "화이트",
        "흰색", "하양", "아이보리", "오프화이트", "백색", "크림화이트",
    ],
    "Gray": [
        "gray", "grey", "charcoal", "silver", "steel", "slate", "ash", "graphite", "heather grey",
        "heather gray", "grey melange", "그레이", "회색", "차콜", "실버", "진회색", "연회색",
        "멜란지그레이", "중회색",
    ],
    "Red": [
        "red", "burgundy", "maroon", "wine", "crimson", "scarlet", "cherry", "oxblood", "brick",
        "rust red", "레드", "빨강", "빨간색", "버건디", "와인", "자주", "체리",
    ],
    "Orange": [
        "orange", "coral", "rust", "peach", "apricot", "terracotta", "tangerine", "copper", "오렌지",
        "주황", "주황색", "코랄", "살구", "테라코타",
    ],
    "Pink": [
        "pink", "rose", "magenta", "fuchsia", "blush", "dusty rose", "hot pink", "salmon", "핑크",
        "분홍", "분홍색", "로즈", "인디핑크", "연핑크",
    ],
    "Yellow": [
        "yellow", "mustard", "gold", "lemon", "butter", "옐로우", "옐로", "노랑", "노란색", "머스타드",
        "레몬", "골드",
    ],
    "Brown": [
        "brown", "camel", "coffee", "coffee brown", "tan", "chocolate", "mocha", "cognac",
        "espresso", "caramel", "walnut", "taupe", "mushroom brown", "chestnut", "cocoa", "bronze",
        "브라운", "갈색", "카멜", "모카", "초코", "코코아", "캐러멜", "다크브라운", "밤색", "고동색",
    ],
    "Green": [
        "green", "olive", "mint", "teal", "sea green", "lime", "lime green", "forest", "sage",
        "emerald", "khaki green", "fluorescent green", "bottle green", "그린", "초록", "녹색",
        "올리브", "민트", "카키", "연두", "청록", "쑥색", "세이지",
    ],
    "Blue": [
        "blue", "navy", "navy blue", "denim", "sky blue", "indigo", "turquoise", "turquoise blue",
        "royal blue", "cobalt", "aqua", "cyan", "light wash", "mid wash", "medium wash",
        "dark wash", "acid wash", "stone wash", "raw denim", "블루", "파랑", "파란색", "네이비",
        "데님", "스카이블루", "청색", "소라", "소라색", "하늘색", "남색", "곤색", "연청", "중청", "진청",
        "인디고", "코발트",
    ],
    "Purple": [
        "purple", "lavender", "violet", "mauve", "lilac", "plum", "grape", "퍼플", "보라", "보라색",
        "라벤더", "바이올렛", "연보라", "라일락",
    ],
    "Beige": [
        "beige", "cream", "khaki", "sand", "nude", "skin", "oatmeal", "oat", "stone", "biscuit",
        "camel beige", "natural", "베이지", "크림", "샌드", "오트밀", "스톤", "모래색", "연베이지",
    ],
    "Mixed": [
        "mixed", "multi", "multicolor", "multi color", "multicolour", "multi colour", "pattern",
        "rainbow", "멀티", "혼합", "멀티컬러", "배색",
    ],
})
#: Words that only describe a shade; they decide only when nothing else names a colour.
_SHADES = Lexicon({"Gray": ["heather", "melange", "marl", "멜란지"]})
_WASHES = Lexicon({"Blue": ["wash", "washed", "워싱"]})
# fmt: on
_TWO_TONE = re.compile(r"\s*(?:/|&|\+|\band\b|×|\bx\b|·)\s*")


def _one(text: str) -> str | None:
    toks = tokens(text)
    for attempt in (toks, [*toks[:-1], toks[-1].removesuffix("색")] if toks else toks):
        found = COLOUR_WORDS.find(attempt) or _SHADES.find(attempt) or _WASHES.find(attempt)
        if found:
            return found[0].value
    return None


def read_colour(raw: object) -> str | None:
    """The vocabulary colour a colour name means, or None (unknown, or several variants)."""
    text = fold(raw).strip()
    if not text:
        return None
    if "," in text or ";" in text:
        names = {_one(p) for p in re.split(r"[,;]", text) if p.strip()}
        return names.pop() if len(names) == 1 else None
    parts = [p for p in _TWO_TONE.split(text) if p.strip()]
    if len(parts) > 1:
        named = {_one(p) for p in parts}
        if None not in named:
            return "Mixed" if len(named) > 1 else named.pop()
    return _one(text)


def colour_in_title(title: object) -> str | None:
    """The colour a title names: its rightmost colour word (whole words only; a shade word such
    as "멜란지" when no colour word is there)."""
    toks = tokens(title)
    found = COLOUR_WORDS.find(toks, suffixes=False) or _SHADES.find(toks, suffixes=False)
    return found[0].value if found else None
