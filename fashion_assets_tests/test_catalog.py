"""The vocabulary matches seed 004, normalisation maps real spellings, Item validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from fashion_assets.catalog import Item, normalize, normalize_category, parse_fibers
from fashion_assets.catalog.vocabulary import (
    CLOTHES,
    FIELD_SCOPE,
    REINFORCED_FIELDS,
    category_specification_of,
    spec_fields_for,
)
from fashion_assets.crawl.demo_catalog import COLOR_NAMES

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
