"""The vocabulary matches seed 004, normalisation maps real spellings, Item validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from fashion_assets.catalog import Item, normalize, normalize_category, parse_fibers
from fashion_assets.catalog.garments import read_category
from fashion_assets.catalog.normalize import in_title
from fashion_assets.catalog.vocabulary import (
    CLOTHES,
    FIELD_SCOPE,
    REINFORCED_FIELDS,
    category_specification_of,
    spec_fields_for,
)
from fashion_assets.crawl.demo_catalog import COLOR_NAMES, demo_catalog

#: seed 004 as given to the project (a verbatim copy, so the suite runs from any clone)
SEED = Path(__file__).parent / "data" / "seed_004_item_tower_notes.txt"


def _seed_lists(block: str) -> dict[str, list[str]]:
    text = SEED.read_text(encoding="utf-8")
    clothes, reinforced = text.split('"reinforced_feature_value"')
    body = clothes.split('"clothes"')[1] if block == "clothes" else reinforced
    return {
        name: re.findall(r'"([^"]*)"', values)
        for name, values in re.findall(r'"([\w.]+)"\s*:\s*\[([^\]]*)\]', body)
    }


def test_vocabulary_is_the_seed_vocabulary():
    seed = _seed_lists("clothes")
    assert list(seed) == list(CLOTHES), "every seed field, in the seed's order"
    for name, values in seed.items():
        assert list(CLOTHES[name]) == values, name
    assert tuple(_seed_lists("reinforced")) == REINFORCED_FIELDS


def test_type_specific_fields_are_tied_to_their_categories():
    assert category_specification_of("04bottom_02skirt") == "bottom"
    assert category_specification_of("03-1onepiece(dress)") == "onepiece"
    assert spec_fields_for("04bottom_01pants") == ("pant.silhouette",)
    assert spec_fields_for("04bottom_02skirt") == ("skirt.design",)
    assert "top.sleeve_length_type" in spec_fields_for("01outer_01coat")
    assert "top.sleeve_length_type" not in spec_fields_for("04bottom_01pants")
    assert all(scope for scope in FIELD_SCOPE.values())
    with pytest.raises(ValueError, match="unknown category"):
        category_specification_of("05shoes")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("color", "Navy Blue", "Blue"),
        ("color", "Olive", "Green"),
        ("color", "카키", "Green"),
        ("color", "Dark Navy", "Blue"),
        ("color", "off-white", "White"),
        ("color", "Fluorescent Green", "Green"),
        ("color", "nonsense", None),
        ("gender", "Men", "male"),
        ("gender", "여성", "female"),
        ("gender", "Unisex", "both"),
        ("season", "Fall", "spring&fall"),
        ("season", "봄/가을", "spring&fall"),
        ("season", "겨울", "winter"),
        ("top.length_type", "normal", "nomal"),
        ("top.sleeve_length_type", "반팔", "short sleeves"),
        ("pant.silhouette", "부츠컷", "bell-bottom"),
        ("isfleece", "기모", "fleece_contain"),
        ("elasticity", "약간", "contain little"),
    ],
)
def test_normalize(field, raw, expected):
    assert normalize(field, raw) == expected


def test_every_demo_shop_colour_label_normalises_to_its_colour():
    for colour, names in COLOR_NAMES.items():
        for label, _ in names:
            assert normalize("color", label) == colour, label


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Men > Outer > Coat", "01outer_01coat"),
        ("여성 > 아우터 > 코트", "01outer_01coat"),
        ("Tshirts", "02top_02t-shirt"),
        ("Jeans", "04bottom_01pants"),
        ("04bottom_02skirt", "04bottom_02skirt"),
        ("Watches", None),
        ("Casual Shoes", None),
        ("잡화 > 가방", None),
    ],
)
def test_normalize_category(raw, expected):
    assert normalize_category(raw) == expected


def test_parse_fibers_orders_by_share_and_reports_unknown_parts():
    assert parse_fibers("면 30%, 울 70%") == (("Wool", "Cotton"), [])
    assert parse_fibers("Cotton / Linen") == (("Cotton", "Hemp"), [])
    fibers, unknown = parse_fibers("Polyester 90%, Mystery 10%")
    assert fibers == ("Polyester",) and unknown == ["Mystery"]


@pytest.mark.parametrize(
    ("raw", "fibers"),
    [
        ("100% Cotton", ("Cotton",)),
        ("80% Wool, 20% Polyamide", ("Wool", "Nylon")),
        ("98% Cotton 2% Elastane", ("Cotton", "Polyurethane")),
        ("Organic Cotton", ("Cotton",)),
        ("100% 코튼", ("Cotton",)),
        ("폴리에스터 65% 레이온 30% 스판 5%", ("Polyester", "Viscos rayon", "Polyurethane")),
        ("겉감: 울 70% 폴리에스터 30% / 안감: 폴리에스터 100%", ("Wool", "Polyester")),
        ("Lining: 100% Polyester; Shell: 100% Wool", ("Wool",)),
        ("Merino wool and cashmere", ("Wool", "protein fiber Others")),
    ],
)
def test_parse_fibers_reads_percent_first_and_the_shell_of_a_composition(raw, fibers):
    assert parse_fibers(raw)[0] == fibers


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        # season codes, ranges and all-year words
        ("season", "SS", "summer"),
        ("season", "24FW", "winter"),
        ("season", "F/W 2024", "winter"),
        ("season", "AW", "winter"),
        ("season", "S/S", "summer"),
        ("season", "Spring/Summer", "summer"),
        ("season", "Autumn/Winter", "winter"),
        ("season", "봄/여름", "summer"),
        ("season", "봄,여름,가을", "spring&fall"),
        ("season", "사계절", "spring&fall"),
        ("season", "All season", "spring&fall"),
        ("season", "Year-round", "spring&fall"),
        ("season", "환절기", "spring&fall"),
        ("season", "겨울용", "winter"),
        ("season", "2024", None),
        # gender as schema.org URLs, possessives and one-letter codes
        ("gender", "https://schema.org/Female", "female"),
        ("gender", "http://schema.org/Male", "male"),
        ("gender", "Women's", "female"),
        ("gender", "남녀 공용", "both"),
        ("gender", "M", "male"),
        ("gender", "Kids", None),
        # shade and wash names, Korean compounds without spaces
        ("color", "Burgundy", "Red"),
        ("color", "Mint", "Green"),
        ("color", "Indigo Wash", "Blue"),
        ("color", "Light Wash", "Blue"),
        ("color", "Black Wash", "Black"),
        ("color", "Navy Heather", "Blue"),
        ("color", "Heather", "Gray"),
        ("color", "멜란지", "Gray"),
        ("color", "멜란지그레이", "Gray"),
        ("color", "소라", "Blue"),
        ("color", "연청", "Blue"),
        ("color", "하늘색", "Blue"),
        ("color", "베이지색", "Beige"),
        ("color", "Terracotta", "Orange"),
        ("color", "Black/White", "Mixed"),
        ("color", "Black, White, Taupe", None),
        ("color", "Black / M", "Black"),
        # type-specific fields in the spellings shops use
        ("pant.silhouette", "Slim Fit", "skinny"),
        ("pant.silhouette", "오버핏", "loose"),
        ("elasticity", "좋음", "contain a lot"),
    ],
)
def test_normalize_reads_the_long_tail_of_shop_spellings(field, raw, expected):
    assert normalize(field, raw) == expected


def test_every_vocabulary_value_and_label_normalises_to_itself():
    from fashion_assets.catalog.labels import KO, label

    for field in ("color", "season", "gender", "category"):
        for value in CLOTHES[field]:
            assert normalize(field, value) == value, value
            assert normalize(field, label(field, value, "ko")) == value, (field, value)
            if field != "category":
                assert normalize(field, label(field, value, "en")) == value, (field, value)
    assert all(normalize("fiber_composition", KO["fiber_composition"][f]) == f for f in
               CLOTHES["fiber_composition"])  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "kind", "category"),
    [
        ("Apparel & Accessories > Clothing > Outerwear > Coats", "garment", "01outer_01coat"),
        ("Apparel & Accessories > Clothing > Outerwear > Coats & Jackets", "none", None),
        ("Apparel & Accessories > Shoes > Sneakers", "not_apparel", None),
        ("Women > Tops", "none", None),
        ("OUTER", "none", None),
        ("BOTTOM > PANTS", "garment", "04bottom_01pants"),
        ("OPS", "garment", "03-1onepiece(dress)"),
        ("SHIRTS & BLOUSE", "none", None),
        ("T-Shirts & Tees", "garment", "02top_02t-shirt"),
        ("Hoodies & Sweatshirts", "garment", "02top_02t-shirt"),
        ("Down Jackets", "garment", "01outer_03jumper"),
        ("Shirt Dresses", "garment", "03-1onepiece(dress)"),
        ("셔츠원피스", "garment", "03-1onepiece(dress)"),
        ("Dress Shoes", "not_apparel", None),
        ("Innerwear Vests", "not_apparel", None),
        ("Lounge Shorts", "garment", "04bottom_01pants"),
        ("Tunics", "garment", "02top_01blouse"),
        ("Churidar", "garment", "04bottom_01pants"),
        ("Perfume and Body Mist", "not_apparel", None),
    ],
)
def test_category_paths_are_read_most_specific_segment_first(raw, kind, category):
    reading = read_category(raw)
    assert (reading.kind, reading.category) == (kind, category)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Turtle Check Men Navy Blue Shirt", ("02top_04shirt", "Blue", "male", None)),
        ("[하루공방] 남녀공용 루즈핏 간절기 코트 블랙 [당일발송]",
         ("01outer_01coat", "Black", "both", "spring&fall")),
        ("Nike Women Dri-FIT T-shirt", ("02top_02t-shirt", None, "female", None)),
        ("24FW 울 블렌드 롱코트 멜란지", ("01outer_01coat", "Gray", None, "winter")),
        ("봄버 자켓", ("01outer_02jacket", None, None, None)),
    ],
)  # fmt: skip
def test_titles_state_only_what_their_words_say(title, expected):
    got = tuple(in_title(f, title) for f in ("category", "color", "gender", "season"))
    assert got == expected


def test_every_demo_title_states_its_category():
    for p in demo_catalog(400):
        if p.category:
            assert in_title("category", p.title) == p.category, p.title
        else:
            assert read_category(p.title).kind == "not_apparel", p.title


def _item(**overrides):
    base = dict(
        item_id="s:1",
        source="s",
        sku="1",
        url="u",
        title="t",
        category="04bottom_01pants",
        gender="male",
        season="winter",
        color="Blue",
        image_url="x",
    )
    return Item(**{**base, **overrides})


def test_item_derives_and_checks_category_specification():
    assert _item().category_specification == "bottom"
    with pytest.raises(ValidationError, match="contradicts"):
        _item(category_specification="top")


def test_item_rejects_values_outside_the_vocabulary_and_out_of_scope_fields():
    with pytest.raises(ValidationError, match="color 'Teal' is not in the vocabulary"):
        _item(color="Teal")
    with pytest.raises(ValidationError, match="does not apply"):
        _item(specs={"top.length_type": "crop"})
    with pytest.raises(ValidationError, match="not in the vocabulary"):
        _item(specs={"pant.silhouette": "baggy"})
    assert _item(specs={"pant.silhouette": "wide"}).specs == {"pant.silhouette": "wide"}


def test_content_hash_moves_with_content_only():
    a, b = _item(), _item(url="another-url")
    assert a.content_hash("img") == b.content_hash("img")
    assert a.content_hash("img") != a.content_hash("other-img")
    assert a.content_hash("img") != _item(title="t2").content_hash("img")
