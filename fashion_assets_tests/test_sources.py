"""The demo shop catalogue, the catalog folder source and source configuration errors."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from fashion_assets.catalog import Item
from fashion_assets.catalog.vocabulary import CATEGORIES, COLORS, GENDERS, SEASONS
from fashion_assets.crawl.catalog_folder import CatalogFolderError, read_catalog_folder
from fashion_assets.crawl.demo_catalog import OPENED_ON, demo_catalog, demo_product
from fashion_assets.crawl.images import fetch_images
from fashion_assets.crawl.sources import SourceConfigError, SourceSpec, load_field_map
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore


def test_demo_catalog_covers_the_vocabulary_with_plausible_combinations():
    products = [p for p in demo_catalog(2000) if p.category]
    assert {p.category for p in products} == set(CATEGORIES)
    assert {p.color for p in products} == set(COLORS)
    assert {p.season for p in products} == set(SEASONS)
    assert {p.gender for p in products} == set(GENDERS)
    for p in products:
        sleeve = p.specs.get("top.sleeve_length_type")
        if p.category != "02top_05vest":  # a vest is sleeveless in every season
            assert not (p.season == "winter" and sleeve in ("sleeveless", "short sleeves")), p
        assert not (p.category.startswith("01outer") and p.season == "summer"), p
        assert not (
            p.category in ("03-1onepiece(dress)", "04bottom_02skirt") and p.gender == "male"
        ), p
        Item(
            item_id="d:1",
            source="d",
            sku="1",
            url="u",
            title=p.title,
            category=p.category,
            gender=p.gender,
            season=p.season,
            color=p.color,
            specs=p.specs,
            image_url="x",
        )
        assert any("\uac00" <= ch <= "\ud7a3" for ch in p.title), "Korean title"


def test_demo_catalog_is_deterministic_and_grows_over_time():
    assert demo_product(42, 2000) == demo_product(42, 2000)
    assert replace(demo_product(42, 100), listed_on=OPENED_ON) == replace(
        demo_product(42, 2000), listed_on=OPENED_ON
    )
    opening = demo_catalog(2000, as_of=OPENED_ON)
    later = demo_catalog(2000, as_of=date(2026, 11, 15))
    everything = demo_catalog(2000)
    assert len(opening) < len(later) < len(everything)
    assert {p.sku for p in opening} <= {p.sku for p in later}


def test_demo_catalog_scales_to_30000_items():
    products = demo_catalog(30_000)
    assert len({p.sku for p in products}) == len(products) > 30_000


def _jpeg(shade: int = 10) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 48), (shade, 20, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_catalog_folder_maps_kaggle_rows_and_rejects_what_is_outside(tmp_path):
    rows = [
        "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,"
        "productDisplayName",
        "1,Men,Apparel,Topwear,Tshirts,Navy Blue,Summer,2012,Casual,Basic Tee",
        "2,Women,Apparel,Bottomwear,Jeans,Olive,Fall,2012,Casual,Slim Jeans, Washed",
        "3,Men,Footwear,Shoes,Casual Shoes,Black,Winter,2012,Casual,Sneakers",
        "4,Unisex,Accessories,Watches,Watches,Silver,Winter,2016,Casual,Steel Watch",
        "5,Women,Apparel,Dress,Dresses,Teal,Summer,2012,Party,Party Dress",
        "6,Women,Apparel,Topwear,Kurtas,Red,Summer,2012,Ethnic,Kurta",
        "7,Men,Apparel,Topwear,Shirts,Chartreuse,Summer,2012,Casual,Odd Shirt",
        "8,Men,Apparel,Topwear,Shirts,White,Summer",
        "9,Men,Apparel,Topwear,Jackets,Black,Winter,2012,Casual,Jacket Without Image",
        "10,Women,Apparel,Topwear,Tshirts,Pink,Spring,2013,Casual,Broken Image Tee",
        "11,Women,Apparel,Topwear,Tops,Black,Summer,2012,Casual,Puma Women Black Tshirts",
        "12,Women,Apparel,Topwear,Tops,Pink,Summer,2012,Casual,Vero Moda Women Pink Top",
        "13,Boys,Apparel,Bottomwear,Lounge Shorts,Grey Melange,Summer,2012,Casual,Lounge Shorts",
        # one photo under two ids: the same garment twice, then two that disagree on the colour
        "14,Women,Apparel,Topwear,Shirts,White,Summer,2012,Casual,Linen Shirt",
        "15,Women,Apparel,Topwear,Shirts,White,Summer,2012,Casual,Linen Shirt Again",
        "16,Women,Apparel,Topwear,Tshirts,Purple,Summer,2012,Casual,Tee",
        "17,Women,Apparel,Topwear,Tshirts,White,Summer,2012,Casual,Tee",
    ]
    (tmp_path / "images").mkdir()
    (tmp_path / "styles.csv").write_text("\n".join(rows), encoding="utf-8")
    for i in (1, 2, 3, 4, 5, 6, 7, 11, 12, 13):
        (tmp_path / "images" / f"{i}.jpg").write_bytes(_jpeg(10 * i))
    for i, shade in ((14, 200), (15, 200), (16, 220), (17, 220)):
        (tmp_path / "images" / f"{i}.jpg").write_bytes(_jpeg(shade))
    (tmp_path / "images" / "10.jpg").write_bytes(b"not a jpeg")
    result = read_catalog_folder(tmp_path)
    store = LocalObjectStore(tmp_path / "objects")
    images = asyncio.run(fetch_images([r["image_url"] for r in result.records], store))
    items, rejects = clean(
        "catalog", result.records, {i["image_url"]: i for i in images}, result.failures
    )
    kept = {i["sku"]: i for i in items}
    assert set(kept) == {"1", "2", "5", "11", "13", "14"}
    assert (kept["1"]["category"], kept["1"]["color"], kept["1"]["gender"]) == (
        "02top_02t-shirt",
        "Blue",
        "male",
    )
    assert kept["2"]["title"] == "Slim Jeans, Washed" and kept["2"]["season"] == "spring&fall"
    assert kept["5"]["color"] == "Green"
    # "Tops" names no garment: the title that does decides, and says so; one that does not is
    # rejected rather than guessed
    assert kept["11"]["category"] == "02top_02t-shirt"
    assert kept["11"]["provenance"]["category"] == "title"
    assert kept["1"]["provenance"]["category"] == "catalog"
    assert (kept["13"]["category"], kept["13"]["color"]) == ("04bottom_01pants", "Gray")
    assert (kept["13"]["gender"], kept["13"]["age_group"]) == ("male", "kids")
    assert kept["1"]["age_group"] == "adult" and kept["1"]["provenance"]["age_group"] == "default"
    by_id = {r["item_id"]: r for r in rejects if r["item_id"]}
    assert by_id["catalog:15"]["reason"] == "duplicate"
    conflicts = [by_id["catalog:16"], by_id["catalog:17"]]
    assert {r["reason"] for r in conflicts} == {"conflicting_duplicate"}
    assert "color: Purple (catalog:16) vs White (catalog:17)" in conflicts[0]["detail"]
    reasons = Counter(r["reason"] for r in rejects)
    assert reasons == {
        "unknown_category": 4,
        "invalid_value": 1,
        "malformed_row": 1,
        "missing_image": 1,
        "broken_image": 1,
        "duplicate": 1,
        "conflicting_duplicate": 2,
    }


def test_catalog_folder_errors_name_what_is_missing(tmp_path):
    with pytest.raises(CatalogFolderError, match=r"styles\.csv"):
        read_catalog_folder(tmp_path)
    (tmp_path / "styles.csv").write_text("id,name\n1,x\n")
    with pytest.raises(CatalogFolderError, match="lacks columns"):
        read_catalog_folder(tmp_path)


def test_bad_source_configuration_fails_at_once(tmp_path):
    with pytest.raises(SourceConfigError, match="FASHION_CRAWL_SOURCE"):
        SourceSpec(source="ftp").validate()
    with pytest.raises(SourceConfigError, match="FASHION_CRAWL_URL"):
        SourceSpec(source="web").validate()
    with pytest.raises(SourceConfigError, match="FASHION_CATALOG_FOLDER"):
        SourceSpec(source="catalog_folder", catalog_folder=str(tmp_path / "nope")).validate()
    (tmp_path / "map.json").write_text("[1, 2]")
    with pytest.raises(SourceConfigError, match="JSON object"):
        load_field_map(str(tmp_path / "map.json"))
    assert SourceSpec(source="web", start_url="https://shop.example/").name == "shop.example"
