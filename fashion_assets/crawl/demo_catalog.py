"""The demo shop's catalogue: a deterministic generator of plausible garments.

Item `i` depends only on (seed, i), so a larger shop extends a smaller one. Categories and
colours are assigned round-robin (every category x colour pair appears in the first 169 items);
season, gender and type-specific attributes are drawn from per-category rules so combinations
stay plausible: no sleeveless winter coats, no summer jumpers, dresses and skirts for women.
Most items are listed on opening day; the rest arrive over the following weeks, so daily
crawls see the shop grow. A few accessories (outside the vocabulary) and products listed under
two URLs keep the reject path honest.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from fashion_assets.catalog.labels import AUDIENCE, KO
from fashion_assets.catalog.vocabulary import (
    CATEGORIES,
    COLORS,
    category_specification_of,
    spec_fields_for,
)

OPENED_ON = date(2026, 11, 1)

# fmt: off
_SEASONS = {
    "01outer_01coat": ("winter", "spring&fall"),
    "01outer_02jacket": ("spring&fall", "winter"),
    "01outer_03jumper": ("winter", "spring&fall"),
    "01outer_04cardigan": ("spring&fall", "winter"),
    "02top_01blouse": ("spring&fall", "summer"),
    "02top_02t-shirt": ("summer", "spring&fall", "winter"),
    "02top_03sweater": ("winter", "spring&fall"),
    "02top_04shirt": ("spring&fall", "summer", "winter"),
    "02top_05vest": ("spring&fall", "winter", "summer"),
    "03-1onepiece(dress)": ("summer", "spring&fall", "winter"),
    "03-2onepiece(jumpsuite)": ("summer", "spring&fall"),
    "04bottom_01pants": ("spring&fall", "summer", "winter"),
    "04bottom_02skirt": ("spring&fall", "summer", "winter"),
}
_WOMEN_ONLY = {"02top_01blouse", "03-1onepiece(dress)", "04bottom_02skirt"}
_NOUNS = {
    "01outer_01coat": ("코트", "롱코트", "싱글 코트", "더블 코트", "핸드메이드 코트"),
    "01outer_02jacket": ("자켓", "블레이저", "데님 자켓", "블루종", "크롭 자켓"),
    "01outer_03jumper": ("패딩 점퍼", "숏패딩", "후드 점퍼", "바람막이", "다운 점퍼"),
    "01outer_04cardigan": ("가디건", "니트 가디건", "크롭 가디건"),
    "02top_01blouse": ("블라우스", "셔링 블라우스", "리본 블라우스"),
    "02top_02t-shirt": ("티셔츠", "맨투맨", "헨리넥 티셔츠", "로고 티셔츠"),
    "02top_03sweater": ("니트", "스웨터", "케이블 니트", "라운드 니트"),
    "02top_04shirt": ("셔츠", "옥스포드 셔츠", "스트라이프 셔츠", "오버 셔츠"),
    "02top_05vest": ("베스트", "니트 베스트", "조끼"),
    "03-1onepiece(dress)": ("원피스", "롱 원피스", "미니 원피스", "셔츠 원피스"),
    "03-2onepiece(jumpsuite)": ("점프수트", "오버롤"),
    "04bottom_01pants": ("팬츠", "슬랙스", "데님 팬츠", "와이드 팬츠", "조거 팬츠"),
    "04bottom_02skirt": ("스커트", "플리츠 스커트", "롱 스커트", "미니 스커트"),
}
#: Shop colour names per vocabulary colour, with the RGB the image is drawn in.
COLOR_NAMES: dict[str, tuple[tuple[str, tuple[int, int, int]], ...]] = {
    "Black": (("블랙", (25, 25, 28)), ("차콜블랙", (40, 40, 44))),
    "White": (("화이트", (245, 245, 242)), ("아이보리", (238, 232, 214))),
    "Gray": (("그레이", (140, 140, 145)), ("차콜", (70, 72, 76)), ("멜란지", (170, 170, 170))),
    "Red": (("레드", (200, 30, 40)), ("버건디", (120, 20, 40)), ("와인", (110, 25, 45))),
    "Orange": (("오렌지", (240, 130, 30)), ("코랄", (245, 120, 100))),
    "Pink": (("핑크", (240, 160, 190)), ("로즈", (210, 90, 120))),
    "Yellow": (("옐로우", (245, 215, 50)), ("머스타드", (210, 165, 40))),
    "Brown": (("브라운", (120, 75, 40)), ("카멜", (190, 140, 85)), ("모카", (130, 95, 70))),
    "Green": (("카키", (95, 105, 60)), ("올리브", (110, 120, 50)), ("민트", (150, 220, 190))),
    "Blue": (("네이비", (25, 35, 80)), ("블루", (40, 90, 200)), ("스카이블루", (130, 190, 235))),
    "Purple": (("퍼플", (110, 50, 150)), ("라벤더", (185, 160, 220))),
    "Beige": (("베이지", (215, 195, 160)), ("크림", (240, 228, 200)), ("오트밀", (220, 210, 190))),
    "Mixed": (("멀티", (200, 60, 60)), ("멀티컬러", (60, 120, 200))),
}
_FIBERS = {
    "winter": (
        ("Wool", "Polyester"),
        ("Wool", "protein fiber Others", "Nylon"),
        ("Polyester", "Nylon"),
        ("synthetic fiber Others", "Wool"),
        ("Cotton", "Polyester"),
    ),
    "summer": (
        ("Cotton",),
        ("Hemp", "Cotton"),
        ("Viscos rayon", "Polyester"),
        ("regenerated fiber Others", "Polyurethane"),
        ("Polyester",),
        ("Silk",),
    ),
    "spring&fall": (
        ("Cotton", "Polyester"),
        ("Cotton",),
        ("Polyester", "Polyurethane"),
        ("Nylon", "Polyurethane"),
        ("Wool", "Polyester"),
    ),
}
_DEGREE_KO = {
    "none at all": "전혀 없음",
    "none": "없음",
    "contain": "있음",
    "contain little": "약간",
    "contain a lot": "많음",
}
_SPEC_KO = {
    "top.length_type": (
        "기장",
        {"crop": "크롭", "nomal": "기본", "long": "롱", "midi": "미디", "short": "숏"},
    ),
    "top.sleeve_length_type": (
        "소매기장",
        {"sleeveless": "민소매", "short sleeves": "반팔", "long sleeves": "긴팔"},
    ),
    "top.neck_color_design": (
        "넥라인",
        {"round neck": "라운드넥", "V-neck": "브이넥", "turtle neck": "터틀넥", "hood": "후드"},
    ),
    "top.sleeve_design": ("소매디자인", {"basic sleeve": "기본소매", "puff sleeve": "퍼프소매"}),
    "pant.silhouette": (
        "핏",
        {
            "skinny": "스키니",
            "normal": "일자",
            "wide": "와이드",
            "loose": "루즈",
            "bell-bottom": "부츠컷",
        },
    ),
    "skirt.design": ("스커트라인", {"A-line and bell line": "A라인", "mermaid line": "머메이드"}),
}
_NECKS = {
    "01outer_01coat": ("tailored collar", "shawl collar", "hood", "no neckline"),
    "01outer_02jacket": ("tailored collar", "band collar", "shirts collar", "hood"),
    "01outer_03jumper": ("hood", "band collar", "turtle neck"),
    "01outer_04cardigan": ("V-neck", "round neck"),
    "02top_01blouse": (
        "bow collar", "round neck", "V-neck", "square neck", "Peter Pan collar",
        "sailor collar", "off shoulder",
    ),
    "02top_02t-shirt": ("round neck", "V-neck", "U-neck", "polo collar", "hood", "boat neck"),
    "02top_03sweater": ("round neck", "V-neck", "turtle neck", "cowl neck", "boat neck"),
    "02top_04shirt": ("shirts collar", "band collar", "Chinese collar"),
    "02top_05vest": ("V-neck", "round neck", "tailored collar"),
    "03-1onepiece(dress)": (
        "round neck", "V-neck", "square neck", "sweetheart neck", "halter neck", "off shoulder",
        "one shoulder", "shirts collar",
    ),
    "03-2onepiece(jumpsuite)": ("V-neck", "halter neck", "square neck", "shirts collar"),
}
_LENGTHS = {
    "01outer_01coat": ("long", "midi", "nomal"),
    "01outer_02jacket": ("nomal", "crop", "short"),
    "01outer_03jumper": ("nomal", "short", "long"),
    "01outer_04cardigan": ("nomal", "crop", "long"),
    "02top_05vest": ("nomal", "crop"),
    "03-1onepiece(dress)": ("midi", "long", "short", "nomal"),
    "03-2onepiece(jumpsuite)": ("long", "nomal", "short"),
}
_BRANDS = (
    "어반무드", "데일리룩", "서울스튜디오", "노스웨이브", "모노플랜", "린넨하우스", "오르빗", "하루공방", "블루마일", "포레스트랩",
)
_ADJECTIVES = (
    "오버핏", "베이직", "데일리", "모던", "빈티지 워싱", "소프트", "프리미엄", "미니멀", "클래식", "루즈핏", "세미오버", "슬림핏",
)
_SEASON_WORDS = {
    "winter": ("기모", "울 블렌드", "헤비", "따뜻한"),
    "summer": ("쿨링", "린넨", "시어서커", "냉감"),
    "spring&fall": ("간절기", "코튼", "데일리"),
}
_SUFFIXES = ("", "", "", " (2color)", " [당일발송]", " _신상", " 1+1")
_ACCESSORIES = (
    ("잡화 > 모자", "볼캡"),
    ("잡화 > 가방", "캔버스 토트백"),
    ("잡화 > 벨트", "가죽 벨트"),
    ("잡화 > 양말", "스포츠 양말 3팩"),
    ("신발 > 스니커즈", "캔버스 스니커즈"),
)
# fmt: on
PATTERNS = ("solid", "solid", "stripe", "dots", "check")
#: How a title names who a garment is for: 남성, 여성, 남녀공용; children's: 남아, 여아, 아동.
KO_AUDIENCE = AUDIENCE["ko"]


@dataclass(frozen=True)
class DemoProduct:
    """One product page of the demo shop."""

    index: int
    sku: str
    title: str
    brand: str
    price: int
    category: str | None  # None for accessories, which are outside the vocabulary
    category_label: str
    gender: str
    season: str
    color: str
    age_group: str
    color_label: str
    rgb: tuple[int, int, int]
    material: str
    elasticity: str
    transparency: str
    isfleece: str
    specs: dict[str, str] = field(default_factory=dict)
    pattern: str = "solid"
    listed_on: date = OPENED_ON
    alternate_url: bool = False

    def properties(self) -> list[tuple[str, str]]:
        """The additionalProperty list as the shop writes it (Korean names and labels)."""
        season_ko = {"winter": "겨울", "summer": "여름", "spring&fall": "봄/가을"}[self.season]
        props = [
            ("계절", season_ko),
            ("신축성", _DEGREE_KO[self.elasticity]),
            ("비침", _DEGREE_KO[self.transparency]),
            ("기모", "기모있음" if self.isfleece == "fleece_contain" else "기모없음"),
        ]
        for spec, value in self.specs.items():
            name, labels = _SPEC_KO[spec]
            props.append((name, labels.get(value, value)))
        props.append(("상세", f"{self.title} / {self.material} / {self.color_label}"))
        return props


def _listed_on(i: int, items: int, opened_on: date) -> date:
    launch = int(items * 0.8)
    if i < launch:
        return opened_on
    return opened_on + timedelta(days=1 + (i - launch) * 30 // max(1, items - launch))


def demo_product(i: int, items: int, seed: int = 7, opened_on: date = OPENED_ON) -> DemoProduct:
    """Product `i` of a demo shop of `items` garments (independent of the others)."""
    rng = random.Random(f"{seed}:{i}")
    category = CATEGORIES[i % len(CATEGORIES)]
    color = COLORS[(i // len(CATEGORIES)) % len(COLORS)]
    color_label, rgb = rng.choice(COLOR_NAMES[color])
    season = rng.choice(_SEASONS[category])
    gender = "female" if category in _WOMEN_ONLY else rng.choice(("male", "female", "both"))
    if category == "03-2onepiece(jumpsuite)":
        gender = rng.choice(("female", "both"))
    fibers = rng.choice(_FIBERS[season])
    shares = [70, 30] if len(fibers) == 2 else [60, 35, 5] if len(fibers) == 3 else [100]
    material = ", ".join(
        f"{KO['fiber_composition'][f]} {s}%" for f, s in zip(fibers, shares, strict=True)
    )
    specs = _specs(rng, category, season)
    fleece = "fleece_contain" if season == "winter" and rng.random() < 0.4 else "fleece_none"
    elastic = (
        "contain"
        if "Polyurethane" in fibers
        else rng.choice(("none", "none at all", "contain little"))
    )
    sheer = "contain little" if season == "summer" and rng.random() < 0.3 else "none"
    spec = {"01": "outer", "02": "top", "03": "onepiece", "04": "bottom"}[category[:2]]
    sleeve = {"sleeveless": "민소매", "short sleeves": "반팔", "long sleeves": ""}.get(
        specs.get("top.sleeve_length_type", ""), ""
    )
    words = [
        rng.choice(_ADJECTIVES),
        rng.choice(_SEASON_WORDS[season]),
        sleeve,
        rng.choice(_NOUNS[category]),
    ]
    age_group = "kids" if i % 16 == 7 else "adult"  # one garment in 16 is children's
    gender_ko = KO_AUDIENCE[(gender, age_group)]
    brand = _BRANDS[rng.randrange(len(_BRANDS))]
    title = f"[{brand}] {gender_ko} {' '.join(w for w in words if w)} {color_label}"
    title += rng.choice(_SUFFIXES)
    return DemoProduct(
        index=i,
        sku=f"DS{seed:02d}-{i:06d}",
        title=title,
        brand=brand,
        price=rng.randrange(19, 300) * 1000 - 100,
        category=category,
        category_label=f"{gender_ko} > {KO['category_specification'][spec]} > {KO['category'][category]}",
        gender=gender,
        season=season,
        color=color,
        age_group=age_group,
        color_label=color_label,
        rgb=rgb,
        material=material,
        elasticity=elastic,
        transparency=sheer,
        isfleece=fleece,
        specs=specs,
        pattern="multi" if color == "Mixed" else rng.choice(PATTERNS),
        listed_on=_listed_on(i, items, opened_on),
        alternate_url=i % 199 == 5,
    )


def _specs(rng: random.Random, category: str, season: str) -> dict[str, str]:
    specs: dict[str, str] = {}
    fields = spec_fields_for(category)
    if "top.sleeve_length_type" in fields:
        if category == "02top_05vest":
            sleeve = "sleeveless"
        elif category.startswith("01outer") or season == "winter":
            sleeve = "long sleeves"
        elif season == "summer":
            sleeve = rng.choice(("short sleeves", "short sleeves", "sleeveless"))
        else:
            sleeve = rng.choice(("long sleeves", "long sleeves", "short sleeves"))
        specs["top.length_type"] = rng.choice(_LENGTHS.get(category, ("nomal", "crop", "long")))
        specs["top.sleeve_length_type"] = sleeve
        specs["top.neck_color_design"] = rng.choice(_NECKS[category])
        if sleeve != "sleeveless":
            knit = category in ("02top_03sweater", "01outer_04cardigan", "01outer_03jumper")
            options = ("basic sleeve", "ribbed sleeve") if knit else ("basic sleeve",)
            if category == "02top_04shirt":
                options = ("shirt sleeve",)
            elif season == "summer" and category in ("02top_01blouse", "03-1onepiece(dress)"):
                options = ("puff sleeve", "cape sleeve", "petal sleeve", "basic sleeve")
            specs["top.sleeve_design"] = rng.choice(options)
    if "pant.silhouette" in fields:
        choices = (
            ("wide", "normal", "loose")
            if category.startswith("03")
            else ("skinny", "normal", "wide", "loose", "bell-bottom")
        )
        specs["pant.silhouette"] = rng.choice(choices)
    if "skirt.design" in fields:
        specs["skirt.design"] = rng.choice(("A-line and bell line", "mermaid line", "Others"))
    return specs


def demo_accessory(j: int, seed: int = 7, opened_on: date = OPENED_ON) -> DemoProduct:
    """Accessory `j`: sold by the shop, outside the garment vocabulary (rejected by design)."""
    rng = random.Random(f"{seed}:acc:{j}")
    label, noun = _ACCESSORIES[j % len(_ACCESSORIES)]
    color = rng.choice(COLORS[:-1])
    color_label, rgb = COLOR_NAMES[color][0]
    brand = rng.choice(_BRANDS)
    return DemoProduct(
        index=-1 - j,
        sku=f"DS{seed:02d}-A{j:05d}",
        title=f"[{brand}] {noun} {color_label}",
        brand=brand,
        price=rng.randrange(9, 90) * 1000 - 100,
        category=None,
        category_label=label,
        gender="both",
        season="spring&fall",
        color=color,
        age_group="adult",
        color_label=color_label,
        rgb=rgb,
        material="면 100%",
        elasticity="none",
        transparency="none",
        isfleece="fleece_none",
        listed_on=opened_on,
    )


def demo_catalog(
    items: int, seed: int = 7, as_of: date | None = None, opened_on: date = OPENED_ON
) -> list[DemoProduct]:
    """The shop's products listed on or before `as_of` (all of them when None)."""
    products = [demo_product(i, items, seed, opened_on) for i in range(items)]
    products += [demo_accessory(j, seed, opened_on) for j in range(max(1, items // 100))]
    return [p for p in products if as_of is None or p.listed_on <= as_of]


def demo_item_rows(items: int, seed: int = 7) -> list[dict[str, object]]:
    """The shop's garments as `filtered_items`-shaped rows without crawling them (for tests and
    benchmarks of the stages after ingest); image keys are placeholders."""
    return [
        {
            "item_id": f"demo_shop:{p.sku}", "title": p.title, "category": p.category,
            "category_specification": category_specification_of(p.category),
            "gender": p.gender, "age_group": p.age_group, "season": p.season, "color": p.color,
            "fiber_composition": ["Wool", "Polyester"] if p.season == "winter" else ["Cotton"],
            "elasticity": p.elasticity, "transparency": p.transparency, "isfleece": p.isfleece,
            "specs": p.specs, "image_key": f"images/{p.index % 100:02d}/{p.sku}.jpg",
        }
        for p in demo_catalog(items, seed)
        if p.category
    ]  # fmt: skip
