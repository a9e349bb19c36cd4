"""Map spellings found in the wild (Korean and English) onto the vocabulary.

`normalize(field, raw)` returns the vocabulary value or None when the text means nothing we
know: callers reject items whose required fields (category, gender, season, colour) mean
nothing, and keep items whose optional fields do not parse, with a warning. They never guess.
Category, colour and season have readers of their own (`garments`, `colours`, `seasons`);
`in_title` reads the few fields a product title can state.
"""

from __future__ import annotations

import html
import re
import unicodedata

from fashion_assets.catalog.colours import colour_in_title, read_colour
from fashion_assets.catalog.garments import category_in_title, read_category
from fashion_assets.catalog.seasons import read_season, season_in_title
from fashion_assets.catalog.vocabulary import CLOTHES
from fashion_assets.catalog.words import Lexicon, fold, tokens

# fmt: off
GENDER_WORDS = Lexicon({
    "male": [
        "men", "man", "mens", "male", "boys", "boy", "gentlemen", "남성", "남자", "남성용", "맨즈",
        "남아", "남아용",
    ],
    "female": [
        "women", "woman", "womens", "female", "girls", "girl", "ladies", "lady", "여성", "여자",
        "여성용", "우먼", "우먼즈", "레이디스", "여아", "여아용",
    ],
    "both": [
        "unisex", "both", "all gender", "all genders", "gender neutral", "genderless", "공용",
        "남녀공용", "남여공용", "남녀", "유니섹스", "남녀 공용",
    ],
}, plurals=False)
#: One-letter codes are genders only in a gender field, never inside a title.
_GENDER_CODES = {"m": "male", "f": "female", "w": "female", "u": "both", "남": "male",
                 "여": "female"}
AGE_WORDS = Lexicon({
    "kids": [
        "kids", "kid", "children", "child", "boys", "boy", "girls", "girl", "baby", "babies",
        "infant", "newborn", "toddler", "junior", "youth", "아동", "키즈", "주니어", "유아", "베이비",
        "어린이", "남아", "여아", "아기", "토들러",
    ],
    "adult": ["adult", "adults", "성인", "men", "women", "man", "woman", "ladies", "남성", "여성"],
}, plurals=False)
_FIBERS = Lexicon({
    "Cotton": ["cotton", "면", "코튼", "순면", "organic cotton", "pima cotton"],
    "Hemp": ["hemp", "linen", "flax", "마", "린넨", "리넨", "대마"],
    "cellulose fiber Others": ["ramie", "jute", "bamboo", "모시", "저마", "대나무"],
    "Silk": ["silk", "실크", "견"],
    "Wool": ["wool", "울", "모", "양모", "merino", "메리노", "lambswool", "램스울"],
    "protein fiber Others": [
        "cashmere", "alpaca", "mohair", "angora", "camel hair", "캐시미어", "알파카", "모헤어", "앙고라",
    ],
    "Viscos rayon": ["viscose", "rayon", "viscose rayon", "레이온", "비스코스"],
    "regenerated fiber Others": [
        "modal", "lyocell", "tencel", "acetate", "triacetate", "cupro", "모달", "라이오셀", "텐셀",
        "아세테이트", "큐프라",
    ],
    "Polyester": ["polyester", "poly", "폴리에스터", "폴리에스테르", "폴리"],
    "Nylon": ["nylon", "polyamide", "나일론", "폴리아미드"],
    "Polyurethane": [
        "polyurethane", "spandex", "elastane", "lycra", "폴리우레탄", "스판", "스판덱스",
    ],
    "synthetic fiber Others": ["acrylic", "polypropylene", "pvc", "아크릴", "폴리프로필렌"],
}, plurals=False)
_DEGREES = {
    "none at all": ["전혀 없음", "no stretch", "none at all"],
    "none": ["없음", "no", "none", "non stretch", "no sheer"],
    "contain": ["있음", "yes", "stretch", "보통", "medium", "moderate"],
    "contain little": ["약간", "조금", "약간 있음", "slight", "slight stretch", "low", "little"],
    "contain a lot": ["많음", "높음", "좋음", "high", "super stretch", "very stretchy", "a lot"],
}
_TABLES = {
    "elasticity": _DEGREES,
    "transparency": _DEGREES,
    "isfleece": {
        "fleece_contain": ["fleece", "yes", "true", "기모", "기모있음", "기모 있음", "brushed",
                           "fleece lined", "기모안감"],
        "fleece_none": ["no", "false", "none", "없음", "기모없음", "기모 없음", "no fleece"],
    },
    "top.length_type": {
        "crop": ["crop", "cropped", "크롭"],
        "nomal": ["normal", "regular", "기본", "보통", "레귤러"],
        "long": ["long", "롱", "긴기장", "롱기장"],
        "midi": ["midi", "미디"],
        "short": ["short", "숏", "짧은기장", "하프"],
    },
    "top.sleeve_length_type": {
        "sleeveless": ["sleeveless", "no sleeve", "민소매", "나시"],
        "short sleeves": ["short sleeve", "short", "반팔", "반소매", "short sleeves"],
        "long sleeves": ["long sleeve", "long", "긴팔", "긴소매", "long sleeves"],
    },
    "top.neck_color_design": {
        "shirts collar": ["shirt collar", "셔츠카라", "셔츠 칼라", "셔츠칼라"],
        "hood": ["hood", "hooded", "후드"],
        "round neck": ["round neck", "crew neck", "crewneck", "라운드넥", "라운드"],
        "V-neck": ["v neck", "브이넥"],
        "turtle neck": ["turtle neck", "turtleneck", "polo neck", "터틀넥", "폴라"],
        "tailored collar": ["tailored collar", "notched lapel", "테일러드 칼라", "테일러드카라"],
        "band collar": ["band collar", "mandarin collar", "밴드카라", "차이나카라"],
        "polo collar": ["polo collar", "폴로카라", "카라"],
        "square neck": ["square neck", "스퀘어넥"],
        "off shoulder": ["off shoulder", "오프숄더"],
    },
    "top.sleeve_design": {
        "basic sleeve": ["basic sleeve", "basic", "기본소매", "기본"],
        "ribbed sleeve": ["ribbed sleeve", "ribbed", "rib", "립소매"],
        "puff sleeve": ["puff sleeve", "puff", "퍼프소매", "퍼프"],
    },
    "pant.silhouette": {
        "skinny": ["skinny", "slim", "스키니", "슬림", "슬림핏"],
        "normal": ["normal", "regular", "straight", "스트레이트", "일자", "레귤러", "레귤러핏"],
        "wide": ["wide", "wide leg", "와이드", "와이드핏"],
        "loose": ["loose", "relaxed", "baggy", "루즈", "루즈핏", "오버핏", "oversized"],
        "bell-bottom": ["bell bottom", "bootcut", "boot cut", "flare", "flared", "부츠컷", "나팔"],
    },
    "skirt.design": {
        "A-line and bell line": ["a line", "flare", "flared", "bell", "a라인", "플레어"],
        "mermaid line": ["mermaid", "mermaid line", "머메이드"],
    },
}
# fmt: on
_LEXICONS = {field: Lexicon(table, plurals=False) for field, table in _TABLES.items()}


def _exact(field: str, raw: object) -> str | None:
    text = fold(raw).strip()
    for value in CLOTHES[field]:
        if text == value.lower():
            return value
    return None


def read_gender(raw: object) -> str | None:
    """The vocabulary gender a gender field states ("Men's", "https://schema.org/Female",
    "남녀공용", "M")."""
    text = fold(raw).strip().rstrip("/").rsplit("schema.org/", 1)[-1]
    found = GENDER_WORDS.exact(text) or _GENDER_CODES.get(text)
    return found or _gender_words(text, suffixes=True)


def _gender_words(text: object, suffixes: bool) -> str | None:
    named = {m.value for m in GENDER_WORDS.find(tokens(text), suffixes=suffixes)}
    if "both" in named or named == {"male", "female"}:
        return "both"
    return named.pop() if len(named) == 1 else None


def read_age_group(raw: object, *, whole_words: bool = False) -> str | None:
    """ "kids" or "adult" when the text says so ("Boys", "키즈", "아동용", "Men"), else None.

    With `whole_words` (titles) only whole words count and only "kids" is read: a title's
    "Men" says the gender, and an adult item is what nothing else says anyway.
    """
    toks = [t.removesuffix("용") if len(t) > 2 and t.endswith("용") else t for t in tokens(raw)]
    found = AGE_WORDS.find(toks, suffixes=not whole_words)
    if whole_words:
        return "kids" if any(m.value == "kids" for m in found) else None
    return found[0].value if found else None


def fiber_of(name: object) -> str | None:
    """The vocabulary fibre a fibre name means ("Organic Cotton" -> Cotton), or None."""
    return _exact("fiber_composition", name) or _FIBERS.rightmost(name)


def normalize(field: str, raw: object) -> str | None:
    """The vocabulary value of `field` that `raw` spells, or None if it spells none."""
    if field not in CLOTHES and field != "age_group":
        raise KeyError(f"{field!r} is not a vocabulary field")
    if raw is None or not str(raw).strip():
        return None
    readers = {
        "age_group": read_age_group,
        "category": lambda r: read_category(r).category,
        "color": read_colour,
        "season": read_season,
        "gender": read_gender,
        "fiber_composition": fiber_of,
    }
    if field in readers:
        return readers[field](raw)
    exact = _exact(field, raw)
    if exact or field not in _LEXICONS:
        return exact
    return _LEXICONS[field].exact(raw) or _LEXICONS[field].rightmost(raw)


def normalize_category(raw: str) -> str | None:
    """The vocabulary category a label or path names ("Men > Outer > Coat", "아우터/코트",
    "Tshirts"), or None; see `garments.read_category`."""
    return read_category(raw).category


def in_title(field: str, title: object) -> str | None:
    """The value of `field` a product title states with whole words, or None.

    Only category, colour, season, gender and age group can be read from a title.
    """
    readers = {
        "category": lambda t: category_in_title(t).category,
        "color": colour_in_title,
        "season": season_in_title,
        "gender": lambda t: _gender_words(t, suffixes=False),
        "age_group": lambda t: read_age_group(t, whole_words=True),
    }
    return readers[field](title) if field in readers and title else None


_SECTION = re.compile(
    r"(겉감|본체|몸판|shell|outer|main|body|안감|배색|충전재|lining|trim|rib|ribbing|filling|"
    r"padding|pocket|리브|주머니)\s*[:：]",
    re.IGNORECASE,
)
_SHELL = {"겉감", "본체", "몸판", "shell", "outer", "main", "body"}
_PCT_FIRST = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*([^\d%,;/+·]+)")
_NAME_FIRST = re.compile(r"([^\d%,;/+·]+?)\s*(\d+(?:\.\d+)?)\s*%")


def _shell_text(raw: str) -> str:
    """The main fabric's part of a composition with sections ("Shell: ... Lining: ...")."""
    marks = list(_SECTION.finditer(raw))
    if not marks:
        return raw
    sections = [
        (m.group(1).lower(), raw[m.end() : marks[i + 1].start() if i + 1 < len(marks) else None])
        for i, m in enumerate(marks)
    ]
    before = raw[: marks[0].start()]
    if _PCT_FIRST.search(before) or _NAME_FIRST.search(before):
        return before
    for label, text in sections:
        if label in _SHELL:
            return text
    return sections[0][1]


def parse_fibers(raw: str) -> tuple[tuple[str, ...], list[str]]:
    """Parse a material label into vocabulary fibres, largest share first, and the parts that
    named no known fibre.

    Reads "면 60%, 폴리에스터 40%", "100% Cotton", "80% Wool 20% Polyamide", "Cotton / Linen"
    and, for "Shell: ... Lining: ...", the shell.
    """
    text = _shell_text(unicodedata.normalize("NFKC", html.unescape(raw)))
    order = _PCT_FIRST if re.match(r"\s*\d", text) else _NAME_FIRST
    found = order.findall(text)
    if found:
        pairs = [(n, p) for p, n in found] if order is _PCT_FIRST else found
        shares = [(name.strip(" :-"), float(pct)) for name, pct in pairs]
    else:
        parts = re.split(r"[,;/+·&]| and |와 |과 ", text)
        shares = [(p.strip(" :-"), 0.0) for p in parts if p.strip(" :-")]
    totals: dict[str, float] = {}
    unknown: list[str] = []
    for name, pct in shares:
        fiber = fiber_of(name)
        if fiber is None:
            unknown.append(name)
        else:
            totals[fiber] = totals.get(fiber, 0.0) + pct
    return tuple(sorted(totals, key=lambda f: -totals[f])), unknown
