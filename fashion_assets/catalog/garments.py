"""Which vocabulary category a category label, taxonomy path or title names.

Paths are read most specific segment first ("Apparel & Accessories > Clothing > Outerwear >
Coats" -> coat); inside a segment the head noun is the rightmost garment word ("Shirt Dress" ->
dress, "Dress Shoes" -> not apparel). Group words ("Tops", "Outerwear", "OUTER", "상의") name no
garment, so they never pick a category, and a group of two garments ("Coats & Jackets",
"SHIRTS & BLOUSE") is ambiguous: the reader moves on instead of choosing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from fashion_assets.catalog.vocabulary import CATEGORIES
from fashion_assets.catalog.words import Lexicon, fold, tokens

NOT_APPAREL = "not_apparel"

# fmt: off
GARMENT_WORDS = Lexicon({
    "01outer_01coat": [
        "coat", "overcoat", "trench", "trench coat", "peacoat", "pea coat", "duffle coat",
        "topcoat", "코트", "트렌치코트", "롱코트", "반코트", "더플코트", "오버코트",
    ],
    "01outer_02jacket": [
        "jacket", "blazer", "rain jacket", "nehru jacket", "bomber", "bomber jacket", "blouson",
        "shacket", "shirt jacket", "suit jacket", "denim jacket", "biker jacket", "자켓", "재킷",
        "블레이저", "블루종", "라이더자켓", "봄버", "항공점퍼",
    ],
    "01outer_03jumper": [
        "jumper", "parka", "padding", "puffer", "puffer jacket", "down jacket", "down", "anorak",
        "windbreaker", "windcheater", "track jacket", "zip up hoodie", "점퍼", "패딩", "다운",
        "아노락", "야상", "바람막이", "집업", "후드집업", "무스탕",
    ],
    "01outer_04cardigan": ["cardigan", "shrug", "bolero", "가디건", "카디건", "볼레로"],
    "02top_01blouse": ["blouse", "tunic", "블라우스", "튜닉"],
    "02top_02t-shirt": [
        "t shirt", "tshirt", "tee", "sweatshirt", "sweat shirt", "hoodie", "polo", "polo shirt", "henley",
        "tank top", "camisole", "crewneck sweatshirt", "티셔츠", "반팔티", "긴팔티", "맨투맨",
        "후드티", "후드", "나시", "민소매티", "폴로티", "카라티", "크롭티", "롱슬리브", "슬리브리스",
    ],
    "02top_03sweater": ["sweater", "knit", "pullover", "니트", "스웨터", "풀오버"],
    "02top_04shirt": ["shirt", "overshirt", "dress shirt", "셔츠", "남방"],
    "02top_05vest": ["vest", "waistcoat", "gilet", "조끼", "베스트"],
    "03-1onepiece(dress)": [
        "dress", "onepiece", "one piece", "gown", "sundress", "ops", "원피스", "드레스",
    ],
    "03-2onepiece(jumpsuite)": [
        "jumpsuit", "jumpsuite", "overall", "romper", "playsuit", "dungaree", "boilersuit",
        "점프수트", "점프슈트", "오버롤", "멜빵바지",
    ],
    "04bottom_01pants": [
        "pants", "trousers", "jeans", "slacks", "shorts", "track pants", "leggings", "jeggings",
        "capris", "capri", "joggers", "chinos", "culottes", "palazzos", "cargo pants",
        "churidar", "lounge pants", "lounge shorts", "sweatpants", "팬츠", "바지", "청바지",
        "슬랙스", "반바지", "조거팬츠", "데님팬츠", "레깅스", "쇼츠", "카고팬츠", "치마바지",
    ],
    "04bottom_02skirt": ["skirt", "skort", "스커트", "치마"],
    NOT_APPAREL: [
        "shoes", "shoe", "sneakers", "sneaker", "boots", "boot", "sandals", "sandal", "heels",
        "flats", "loafers", "slippers", "flip flops", "mules", "bag", "backpack", "handbag",
        "tote", "tote bag", "clutch", "wallet", "belt", "hat", "cap", "beanie", "bucket hat",
        "scarf", "scarves", "stole", "muffler", "shawl", "gloves", "socks", "sock", "perfume",
        "fragrance", "eau de parfum", "eau de toilette", "deodorant", "body mist", "watch",
        "watches", "sunglasses", "eyewear", "jewellery", "jewelry", "earrings", "necklace",
        "chain", "bracelet", "ring", "tie", "bow tie", "cufflinks", "keychain", "umbrella", "mask",
        "headband", "pouch", "rucksack", "accessories", "accessory", "bra", "briefs", "boxers",
        "boxer shorts", "trunk", "innerwear", "innerwear vest", "innerwear t shirt", "lingerie",
        "underwear", "nightwear", "swimwear", "swimsuit", "bikini", "stockings", "tights",
        "kurta", "kurti", "kurta set", "saree", "sari", "dupatta", "lehenga", "salwar", "set",
        "tracksuit", "night suit", "pyjamas", "pajamas", "신발", "스니커즈", "운동화", "구두",
        "부츠", "샌들", "슬리퍼", "로퍼", "가방", "백팩", "토트백", "에코백", "크로스백", "숄더백",
        "클러치", "지갑", "벨트", "모자", "볼캡", "비니", "버킷햇", "스카프", "머플러", "목도리",
        "장갑", "양말", "삭스", "향수", "시계", "선글라스", "안경", "귀걸이", "목걸이", "반지",
        "팔찌", "키링", "잡화", "액세서리", "악세서리", "속옷", "브라", "팬티", "수영복", "잠옷",
        "세트", "레그워머",
    ],
})
# fmt: on
_GROUP_SPLIT = re.compile(r"\s*(?:&|\+|·|\band\b|,)\s*")
_PATH_SPLIT = re.compile(r"\s*(?:>|/|\||›|»|→|＞|\\)\s*")


@dataclass(frozen=True)
class CategoryReading:
    """What a text says about the category: a vocabulary category, not apparel, or nothing."""

    kind: Literal["garment", "not_apparel", "none"]
    category: str | None = None
    word: str = ""


_NOTHING = CategoryReading("none")


def _read_part(part: str) -> CategoryReading:
    exact = fold(part).strip()
    if exact in CATEGORIES:
        return CategoryReading("garment", exact, exact)
    found = GARMENT_WORDS.find(tokens(part))
    if not found:
        return _NOTHING
    head = found[0]
    if head.value == NOT_APPAREL:
        return CategoryReading("not_apparel", None, head.text)
    return CategoryReading("garment", head.value, head.text)


def read_segment(segment: str) -> CategoryReading:
    """One path segment; a group of parts resolves only when every part says the same thing."""
    parts = [p for p in _GROUP_SPLIT.split(segment) if p.strip()]
    readings = [_read_part(p) for p in parts]
    if len(readings) == 1:
        return readings[0]
    agreed = len({(r.kind, r.category) for r in readings}) == 1
    if readings and agreed and readings[0].kind != "none":
        return readings[0]
    return _NOTHING


def read_category(text: object) -> CategoryReading:
    """The category a label or path states, most specific segment first."""
    if text is None:
        return _NOTHING
    for segment in reversed([s for s in _PATH_SPLIT.split(str(text)) if s.strip()]):
        reading = read_segment(segment)
        if reading.kind != "none":
            return reading
    return _NOTHING


def category_in_title(title: object) -> CategoryReading:
    """The garment a product title names (its rightmost garment word), or nothing."""
    return _read_part(str(title)) if title else _NOTHING
