"""Map spellings found in the wild (Korean and English) onto the vocabulary.

`normalize(field, raw)` returns the vocabulary value or None when the text means nothing we
know: callers reject such items with the field and the raw text as the reason, they never guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from fashion_assets.catalog.vocabulary import CLOTHES


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def _table(groups: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {_key(alias): value for value, aliases in groups.items() for alias in aliases}


# fmt: off
_CATEGORY_WORDS = _table(
    {
        "01outer_01coat": ["coat", "coats", "trench", "trench coat", "코트", "트렌치코트", "롱코트"],
        "01outer_02jacket": [
            "jacket", "jackets", "blazer", "blazers", "rain jacket", "nehru jackets", "자켓",
            "재킷", "블레이저", "블루종", "라이더자켓",
        ],
        "01outer_03jumper": [
            "jumper", "jumpers", "parka", "padding", "puffer", "down jacket", "anorak",
            "windcheater", "점퍼", "패딩", "다운", "아노락", "야상",
        ],
        "01outer_04cardigan": ["cardigan", "cardigans", "shrug", "가디건", "카디건"],
        "02top_01blouse": ["blouse", "blouses", "tops", "블라우스"],
        "02top_02t-shirt": [
            "t shirt", "t shirts", "tshirt", "tshirts", "tee", "tees", "sweatshirt",
            "sweatshirts", "hoodie", "hoodies", "티셔츠", "반팔티", "긴팔티", "맨투맨", "후드티",
        ],
        "02top_03sweater": [
            "sweater", "sweaters", "knit", "knitwear", "pullover", "니트", "스웨터", "풀오버",
        ],
        "02top_04shirt": ["shirt", "shirts", "셔츠", "남방"],
        "02top_05vest": ["vest", "waistcoat", "gilet", "조끼", "베스트"],
        "03-1onepiece(dress)": ["dress", "dresses", "one piece", "onepiece", "원피스", "드레스"],
        "03-2onepiece(jumpsuite)": [
            "jumpsuit", "jumpsuits", "jumpsuite", "overall", "overalls", "점프수트", "점프슈트", "오버롤",
        ],
        "04bottom_01pants": [
            "pants", "trousers", "jeans", "slacks", "shorts", "track pants", "leggings",
            "capris", "joggers", "팬츠", "바지", "청바지", "슬랙스", "반바지", "조거팬츠", "데님팬츠",
        ],
        "04bottom_02skirt": ["skirt", "skirts", "스커트", "치마"],
    }
)

_SYNONYMS: dict[str, dict[str, str]] = {
    "gender": _table(
        {
            "male": ["men", "man", "mens", "men's", "m", "boys", "boy", "남성", "남자", "남"],
            "female": [
                "women", "woman", "womens", "women's", "w", "f", "girls", "girl", "ladies",
                "여성", "여자", "여",
            ],
            "both": ["unisex", "all", "공용", "남녀공용", "유니섹스"],
        }
    ),
    "season": _table(
        {
            "spring&fall": [
                "spring", "fall", "autumn", "spring/fall", "spring fall", "fall/spring", "s/s",
                "f/w", "봄", "가을", "봄가을", "봄/가을", "간절기",
            ],
            "summer": ["summer", "여름", "하절기"],
            "winter": ["winter", "겨울", "동절기"],
        }
    ),
    "color": _table(
        {
            "Black": ["black", "블랙", "검정", "검정색", "검은색", "jet black", "차콜블랙"],
            "White": ["white", "off white", "ivory", "snow", "화이트", "흰색", "하양", "아이보리", "오프화이트"],
            "Gray": [
                "gray", "grey", "charcoal", "silver", "melange", "melange grey", "steel", "그레이",
                "회색", "차콜", "멜란지", "실버",
            ],
            "Red": [
                "red", "burgundy", "maroon", "wine", "crimson", "rust red", "레드", "빨강", "빨간색",
                "버건디", "와인",
            ],
            "Orange": ["orange", "coral", "rust", "peach", "오렌지", "주황", "코랄"],
            "Pink": ["pink", "rose", "magenta", "fuchsia", "hot pink", "핑크", "분홍", "로즈"],
            "Yellow": ["yellow", "mustard", "gold", "lemon", "옐로우", "옐로", "노랑", "노란색", "머스타드"],
            "Brown": [
                "brown", "camel", "coffee", "coffee brown", "tan", "chocolate", "mocha", "브라운",
                "갈색", "카멜", "모카",
            ],
            "Green": [
                "green", "olive", "mint", "teal", "sea green", "lime", "lime green", "forest",
                "fluorescent green", "그린", "초록", "녹색", "올리브", "민트", "카키",
            ],
            "Blue": [
                "blue", "navy", "navy blue", "denim", "sky blue", "indigo", "turquoise blue",
                "royal blue", "블루", "파랑", "파란색", "네이비", "데님", "스카이블루", "청색",
            ],
            "Purple": ["purple", "lavender", "violet", "mauve", "lilac", "퍼플", "보라", "라벤더", "바이올렛"],
            "Beige": [
                "beige", "cream", "khaki", "sand", "nude", "skin", "oatmeal", "베이지", "크림", "샌드",
                "오트밀",
            ],
            "Mixed": [
                "mixed", "multi", "multicolor", "multi color", "multicolour", "pattern", "멀티",
                "혼합", "멀티컬러",
            ],
        }
    ),
    "fiber_composition": _table(
        {
            "Cotton": ["cotton", "면", "코튼", "순면", "organic cotton"],
            "Hemp": ["hemp", "linen", "flax", "마", "린넨", "리넨", "대마"],
            "cellulose fiber Others": ["ramie", "jute", "bamboo", "모시", "저마"],
            "Silk": ["silk", "실크", "견"],
            "Wool": ["wool", "울", "모", "양모", "merino", "메리노"],
            "protein fiber Others": [
                "cashmere", "alpaca", "mohair", "angora", "캐시미어", "알파카", "모헤어", "앙고라",
            ],
            "Viscos rayon": ["viscose", "rayon", "viscose rayon", "레이온", "비스코스"],
            "regenerated fiber Others": [
                "modal", "lyocell", "tencel", "acetate", "cupro", "모달", "라이오셀", "텐셀", "아세테이트",
                "큐프라",
            ],
            "Polyester": ["polyester", "poly", "폴리에스터", "폴리에스테르", "폴리"],
            "Nylon": ["nylon", "polyamide", "나일론", "폴리아미드"],
            "Polyurethane": ["polyurethane", "spandex", "elastane", "lycra", "폴리우레탄", "스판", "스판덱스"],
            "synthetic fiber Others": ["acrylic", "polypropylene", "pvc", "아크릴", "폴리프로필렌"],
        }
    ),
    "elasticity": _table(
        {
            "none at all": ["전혀 없음", "no stretch"],
            "none": ["없음", "no", "non stretch"],
            "contain": ["있음", "yes", "stretch", "보통"],
            "contain little": ["약간", "조금", "약간 있음", "slight", "slight stretch", "low"],
            "contain a lot": ["많음", "높음", "high", "super stretch", "very stretchy"],
        }
    ),
    "isfleece": _table(
        {
            "fleece_contain": ["fleece", "yes", "true", "기모", "기모있음", "brushed"],
            "fleece_none": ["no", "false", "none", "없음", "기모없음", "no fleece"],
        }
    ),
    "top.length_type": _table(
        {
            "crop": ["cropped", "크롭"],
            "nomal": ["normal", "regular", "기본", "보통", "레귤러"],
            "long": ["롱", "긴기장"],
            "midi": ["미디"],
            "short": ["숏", "짧은기장"],
        }
    ),
    "top.sleeve_length_type": _table(
        {
            "sleeveless": ["no sleeve", "민소매", "나시"],
            "short sleeves": ["short sleeve", "short", "반팔", "반소매"],
            "long sleeves": ["long sleeve", "long", "긴팔", "긴소매"],
        }
    ),
    "top.neck_color_design": _table(
        {
            "shirts collar": ["shirt collar", "셔츠카라", "셔츠 칼라"],
            "hood": ["hooded", "후드"],
            "round neck": ["crew neck", "crewneck", "라운드넥", "라운드"],
            "V-neck": ["v neck", "브이넥"],
            "turtle neck": ["turtleneck", "polo neck", "터틀넥", "폴라"],
            "tailored collar": ["notched lapel", "테일러드 칼라", "테일러드카라"],
            "band collar": ["mandarin collar", "밴드카라", "차이나카라"],
            "polo collar": ["폴로카라", "카라"],
            "square neck": ["스퀘어넥"],
            "off shoulder": ["오프숄더"],
        }
    ),
    "top.sleeve_design": _table(
        {
            "basic sleeve": ["basic", "기본소매", "기본"],
            "ribbed sleeve": ["ribbed", "rib", "립소매"],
            "puff sleeve": ["puff", "퍼프소매", "퍼프"],
        }
    ),
    "pant.silhouette": _table(
        {
            "skinny": ["slim", "스키니", "슬림"],
            "normal": ["regular", "straight", "스트레이트", "일자", "레귤러"],
            "wide": ["와이드"],
            "loose": ["relaxed", "baggy", "루즈", "오버핏"],
            "bell-bottom": ["bootcut", "boot cut", "flare", "flared", "부츠컷", "나팔"],
        }
    ),
    "skirt.design": _table(
        {
            "A-line and bell line": ["a line", "a-line", "flare", "flared", "bell", "A라인", "플레어"],
            "mermaid line": ["mermaid", "머메이드"],
        }
    ),
}
_SYNONYMS["transparency"] = dict(_SYNONYMS["elasticity"])
# fmt: on
_EXACT = {field: {_key(v): v for v in values} for field, values in CLOTHES.items()}


def normalize(field: str, raw: object) -> str | None:
    """The vocabulary value of `field` that `raw` spells, or None if it spells none."""
    if field == "category":
        return normalize_category(str(raw)) if raw is not None else None
    if field not in _EXACT:
        raise KeyError(f"{field!r} is not a vocabulary field")
    if raw is None:
        return None
    key = _key(str(raw))
    if not key:
        return None
    found = _EXACT[field].get(key) or _SYNONYMS.get(field, {}).get(key)
    if found is None and field == "color":
        # "Dark Navy", "Light Grey", "딥 네이비": the last word that names a colour decides
        for word in reversed(key.split()):
            found = _EXACT[field].get(word) or _SYNONYMS[field].get(word)
            if found:
                break
    return found


def normalize_category(raw: str) -> str | None:
    """Map a category path or label ("Men > Outer > Coat", "아우터/코트", "Tshirts") to the vocabulary.

    The most specific segment wins; a label no table names gives None.
    """
    segments = [s for s in re.split(r"[>/|›»,]", raw) if s.strip()]
    for segment in reversed(segments):
        key = _key(segment)
        if key in _EXACT["category"]:
            return _EXACT["category"][key]
        if key in _CATEGORY_WORDS:
            return _CATEGORY_WORDS[key]
    return None


_PERCENT = re.compile(r"([^\d%,;/+·]+?)\s*(\d+(?:\.\d+)?)\s*%")


def parse_fibers(raw: str) -> tuple[tuple[str, ...], list[str]]:
    """Parse a material label ("면 60%, 폴리에스터 40%") into vocabulary fibers by share.

    Returns the fibers, largest share first, and the parts that named no known fibre.
    """
    parts = _PERCENT.findall(raw)
    if parts:
        shares = [(name.strip(" :"), float(pct)) for name, pct in parts]
    else:
        shares = [(p.strip(), 0.0) for p in re.split(r"[,;/+·&]| and ", raw) if p.strip()]
    totals: dict[str, float] = {}
    unknown: list[str] = []
    for name, pct in shares:
        fiber = normalize("fiber_composition", name)
        if fiber is None:
            unknown.append(name)
        else:
            totals[fiber] = totals.get(fiber, 0.0) + pct
    ordered = sorted(totals, key=lambda f: -totals[f])
    return tuple(ordered), unknown
