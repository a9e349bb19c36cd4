"""Human labels for vocabulary values, in Korean and English, for generated text."""

from __future__ import annotations

from collections.abc import Mapping

from fashion_assets.catalog.vocabulary import CLOTHES

# fmt: off
KO: Mapping[str, Mapping[str, str]] = {
    "category": {
        "01outer_01coat": "코트", "01outer_02jacket": "자켓", "01outer_03jumper": "점퍼",
        "01outer_04cardigan": "가디건", "02top_01blouse": "블라우스", "02top_02t-shirt": "티셔츠",
        "02top_03sweater": "니트", "02top_04shirt": "셔츠", "02top_05vest": "베스트",
        "03-1onepiece(dress)": "원피스", "03-2onepiece(jumpsuite)": "점프수트",
        "04bottom_01pants": "팬츠", "04bottom_02skirt": "스커트",
    },
    "category_specification": {"outer": "아우터", "top": "상의", "onepiece": "원피스",
                               "bottom": "하의"},
    "season": {"spring&fall": "봄·가을", "summer": "여름", "winter": "겨울"},
    "gender": {"male": "남성", "female": "여성", "both": "남녀공용"},
    "color": {
        "Black": "블랙", "White": "화이트", "Gray": "그레이", "Red": "레드", "Orange": "오렌지",
        "Pink": "핑크", "Yellow": "옐로우", "Brown": "브라운", "Green": "그린", "Blue": "블루",
        "Purple": "퍼플", "Beige": "베이지", "Mixed": "멀티컬러",
    },
    "fiber_composition": {
        "Cotton": "면", "Hemp": "린넨", "cellulose fiber Others": "모시", "Silk": "실크",
        "Wool": "울", "protein fiber Others": "캐시미어", "Viscos rayon": "레이온",
        "regenerated fiber Others": "모달", "Polyester": "폴리에스터", "Nylon": "나일론",
        "Polyurethane": "폴리우레탄", "synthetic fiber Others": "아크릴",
    },
    "top.sleeve_length_type": {"sleeveless": "민소매", "short sleeves": "반팔",
                               "long sleeves": "긴팔"},
    "isfleece": {"fleece_contain": "기모 안감", "fleece_none": "기모 없음"},
    "top.neck_color_design": {
        "shirts collar": "셔츠 칼라", "bow collar": "보우 칼라", "sailor collar": "세일러 칼라",
        "shawl collar": "숄 칼라", "polo collar": "폴로 칼라", "Peter Pan collar": "피터팬 칼라",
        "tailored collar": "테일러드 칼라", "Chinese collar": "차이나 칼라",
        "band collar": "밴드 칼라", "hood": "후드", "round neck": "라운드넥", "U-neck": "유넥",
        "V-neck": "브이넥", "halter neck": "홀터넥", "off shoulder": "오프숄더",
        "one shoulder": "원숄더", "square neck": "스퀘어넥", "turtle neck": "터틀넥",
        "boat neck": "보트넥", "cowl neck": "카울넥", "sweetheart neck": "스위트하트넥",
        "no neckline": "넥라인 없음", "Others": "기타",
    },
    "pant.silhouette": {"skinny": "스키니", "normal": "일자", "wide": "와이드", "loose": "루즈",
                        "bell-bottom": "부츠컷", "Others": "기타"},
    "top.length_type": {"crop": "크롭", "nomal": "기본", "long": "롱", "midi": "미디",
                        "short": "숏"},
    "top.sleeve_design": {"basic sleeve": "기본 소매", "ribbed sleeve": "립 소매",
                          "shirt sleeve": "셔츠 소매", "puff sleeve": "퍼프 소매",
                          "cape sleeve": "케이프 소매", "petal sleeve": "페탈 소매",
                          "Others": "기타"},
    "skirt.design": {"A-line and bell line": "A라인", "mermaid line": "머메이드 라인",
                     "Others": "기타"},
    "elasticity": {"none at all": "전혀 없음", "none": "없음", "contain": "있음",
                   "contain little": "약간", "contain a lot": "좋음"},
    "transparency": {"none at all": "전혀 없음", "none": "없음", "contain": "있음",
                     "contain little": "약간", "contain a lot": "많음"},
}
EN_CATEGORY: Mapping[str, str] = {
    "01outer_01coat": "coat", "01outer_02jacket": "jacket", "01outer_03jumper": "jumper",
    "01outer_04cardigan": "cardigan", "02top_01blouse": "blouse", "02top_02t-shirt": "t-shirt",
    "02top_03sweater": "sweater", "02top_04shirt": "shirt", "02top_05vest": "vest",
    "03-1onepiece(dress)": "dress", "03-2onepiece(jumpsuite)": "jumpsuit",
    "04bottom_01pants": "pants", "04bottom_02skirt": "skirt",
}
# fmt: on

assert all(set(KO[f]) == set(CLOTHES[f]) for f in KO), "Korean labels must cover each field"
#: Who an item is for, as a shopper says it: (gender, age group) -> label.
AUDIENCE: Mapping[str, Mapping[tuple[str, str], str]] = {
    "ko": {("male", "adult"): "남성", ("female", "adult"): "여성", ("both", "adult"): "남녀공용",
           ("male", "kids"): "남아", ("female", "kids"): "여아", ("both", "kids"): "아동"},
    "en": {("male", "adult"): "men's", ("female", "adult"): "women's",
           ("both", "adult"): "unisex", ("male", "kids"): "boys'",
           ("female", "kids"): "girls'", ("both", "kids"): "kids'"},
}  # fmt: skip


def audience(gender: str, age_group: str = "adult", language: str = "ko") -> str:
    """Who an item is for ("여성", "남녀공용", "여아"; "women's", "unisex", "girls'")."""
    return AUDIENCE[language][(gender, age_group)]


def for_whom(gender: str, age_group: str = "adult", language: str = "ko") -> str:
    """The audience as a modifier: "여성용", "남녀공용" (never "남녀공용용"), "아동용"."""
    word = audience(gender, age_group, language)
    if language != "ko":
        return word
    return word if word.endswith(("용", "공용")) else f"{word}용"


def label(field: str, value: str, language: str = "ko") -> str:
    """The label of a vocabulary value ("Blue" -> "블루" in Korean, "blue" in English)."""
    if language == "ko":
        return KO.get(field, {}).get(value, value)
    if field == "category":
        return EN_CATEGORY[value]
    return value.replace("&", " and ").lower() if field in ("season", "color") else value
