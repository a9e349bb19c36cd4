"""Reading products out of pages: every syntax, tolerant JSON-LD, references, variants, tables,
breadcrumbs and a site's own field map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_assets.crawl.field_map import FieldMap
from fashion_assets.crawl.page_facts import breadcrumb_trail, labelled_values
from fashion_assets.crawl.products import extract_products, parse_number
from fashion_assets.crawl.sources import load_field_map
from fashion_assets.crawl.structured import load_jsonld, parse_html

URL = "https://shop.example/p/7"
FIELDS = FieldMap.build()


def _page(*blocks: object, head: str = "", body: str = "") -> str:
    scripts = "".join(
        f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>'
        for b in blocks
    )
    return f"<html><head>{head}{scripts}</head><body>{body}</body></html>"


def _one(html: str, fmap: FieldMap = FIELDS) -> dict:
    records = extract_products(html, URL, fmap).records
    assert len(records) == 1, records
    return records[0]


def _values(record: dict, field: str) -> list[str]:
    return [raw for _, raw in record["fields"].get(field, [])]


@pytest.mark.parametrize(
    "text",
    [
        '{"@type": "Product", "name": "Coat",}',
        '// theme\n{"@type": "Product", "name": "Coat"}',
        '<!--\n{"@type": "Product", "name": "Coat"}\n-->',
        '{"@type": "Product", "name": "Co\tat"}',
        "{&quot;@type&quot;: &quot;Product&quot;, &quot;name&quot;: &quot;Coat&quot;}",
    ],
)
def test_json_ld_is_read_as_leniently_as_browsers_do(text):
    assert load_jsonld(text)["@type"] == "Product"


def test_a_broken_block_does_not_hide_the_others_and_is_noted():
    html = _page('{"@type": "Product", "name": ', {"@type": "Product", "name": "Coat", "sku": 1})
    found = extract_products(html, URL, FIELDS)
    assert [r["name"] for r in found.records] == ["Coat"]
    assert found.errors and "JSON-LD block 0" in found.records[0]["notes"][0]


def test_references_image_objects_offers_and_entities_are_resolved():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "ImageObject", "@id": f"{URL}#primaryimage", "caption": "a coat",
             "name": "coat.jpg", "url": "/img/coat.jpg"},
            {"@type": "Product", "@id": f"{URL}#product", "name": "Men&#39;s Coat &amp; Hood",
             "sku": 7, "image": {"@id": f"{URL}#primaryimage"},
             "offers": [{"@type": "AggregateOffer", "lowPrice": "1,290.00",
                         "priceCurrency": "EUR"}],
             "additionalProperty": {"@type": "PropertyValue", "name": "Season", "value": "FW"}},
        ],
    }  # fmt: skip
    record = _one(_page(graph))
    assert record["name"] == "Men's Coat & Hood"
    assert record["image_url"] == "https://shop.example/img/coat.jpg"
    assert (record["price"], record["currency"]) == (1290.0, "EUR")
    assert record["sku"] == "7"
    assert _values(record, "season") == ["FW"]
    assert record["provenance"]["image_url"] == "jsonld"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("a.jpg", "https://shop.example/p/a.jpg"),
        (["/a.jpg", "/b.jpg"], "https://shop.example/a.jpg"),
        ({"@type": "ImageObject", "name": "front", "contentUrl": "/c.jpg"},
         "https://shop.example/c.jpg"),
        ([{"@type": "ImageObject", "name": "front", "url": "/u.jpg"}], "https://shop.example/u.jpg"),
    ],
)  # fmt: skip
def test_image_in_every_shape(image, expected):
    assert (
        _one(_page({"@type": "Product", "name": "Coat", "image": image}))["image_url"] == expected
    )


@pytest.mark.parametrize(
    ("offers", "price"),
    [
        ({"@type": "Offer", "price": "59.00"}, 59.0),
        ([{"@type": "Offer", "price": 59}], 59.0),
        ({"@type": "AggregateOffer", "lowPrice": "49", "highPrice": "59"}, 49.0),
        ({"@type": "Offer", "priceSpecification": {"price": "89,000"}}, 89000.0),
    ],
)
def test_offers_in_every_shape(offers, price):
    assert _one(_page({"@type": "Product", "name": "C", "offers": offers}))["price"] == price


def test_prices_in_shop_spellings():
    assert [parse_number(v) for v in ("89,000원", "₩129,000", "12,50", "1.234,56", "x")] == [
        89000.0, 129000.0, 12.5, 1234.56, None,
    ]  # fmt: skip


def test_a_theme_block_and_an_seo_app_block_are_one_product():
    theme = {"@type": "Product", "name": "Wool Coat", "sku": "WC-1", "color": "Navy"}
    app = {"@type": "Product", "name": "Women&#39;s Wool Coat", "material": "Wool",
           "image": "/wc.jpg"}  # fmt: skip
    record = _one(_page(theme, app))
    assert record["sku"] == "WC-1" and record["image_url"].endswith("/wc.jpg")
    assert _values(record, "color") == ["Navy"] and _values(record, "material") == ["Wool"]


def test_a_product_group_becomes_one_item_per_colour_with_inherited_fields():
    group = {
        "@type": "ProductGroup", "name": "Tee", "productGroupID": "T1", "material": "Cotton",
        "variesBy": ["https://schema.org/color", "https://schema.org/size"],
        "hasVariant": [
            {"@type": "Product", "sku": "T1-BK-S", "color": "Black", "size": "S", "image": "/b.jpg"},
            {"@type": "Product", "sku": "T1-BK-M", "color": "Black", "size": "M", "image": "/b.jpg"},
            {"@type": "Product", "sku": "T1-WH-S", "color": "White", "size": "S", "image": "/w.jpg"},
            {"@type": "Product", "url": "/p/8"},  # a variant on another page
        ],
    }  # fmt: skip
    records = extract_products(_page(group), URL, FIELDS).records
    assert [(r["sku"], r["name"], r["image_url"][-5:]) for r in records] == [
        ("T1-black", "Tee - Black", "b.jpg"), ("T1-white", "Tee - White", "w.jpg"),
    ]  # fmt: skip
    assert all(_values(r, "material") == ["Cotton"] for r in records)


def test_variants_that_differ_by_size_only_are_one_item():
    group = {
        "@type": "ProductGroup", "name": "Skirt", "productGroupID": "S1", "color": "Navy",
        "variesBy": "https://schema.org/size",
        "hasVariant": [{"@type": "Product", "sku": f"S1-{s}", "size": s} for s in "SML"],
    }  # fmt: skip
    record = _one(_page(group))
    assert record["sku"] == "S1" and _values(record, "color") == ["Navy"]


def test_variant_colours_are_read_from_option_names_when_not_stated():
    group = {
        "@type": "ProductGroup", "name": "Coat", "productGroupID": "C1",
        "hasVariant": [
            {"@type": "Product", "sku": "C1-1", "name": "Coat - Camel / S", "image": "/1.jpg"},
            {"@type": "Product", "sku": "C1-2", "name": "Coat - Charcoal / S", "image": "/2.jpg"},
        ],
    }  # fmt: skip
    records = extract_products(_page(group), URL, FIELDS).records
    assert [r["sku"] for r in records] == ["C1-camel", "C1-charcoal"]
    assert [_values(r, "color") for r in records] == [["Camel"], ["Charcoal"]]


def test_a_variant_page_inherits_its_group():
    variant = {
        "@type": "Product", "sku": "V-NV", "color": "Navy", "image": "/v.jpg",
        "isVariantOf": {"@type": "ProductGroup", "name": "Vest", "productGroupID": "V",
                        "variesBy": ["https://schema.org/color"],
                        "audience": {"@type": "PeopleAudience",
                                     "suggestedGender": "https://schema.org/Female"}},
    }  # fmt: skip
    record = _one(_page(variant))
    assert (record["sku"], record["name"]) == ("V-navy", "Vest - Navy")
    assert _values(record, "gender") == ["https://schema.org/Female"]


def test_microdata_and_opengraph_and_tables_and_breadcrumbs():
    html = (
        '<html><head><meta property="og:type" content="product">'
        '<meta property="og:image" content="/og.jpg"></head>'
        '<body itemscope itemtype="http://schema.org/Product">'
        '<div class="breadcrumbs"><ul><li><a>Home</a></li><li><a>Women</a></li>'
        "<li><a>Jackets</a></li><li><strong>Olivia Jacket</strong></li></ul></div>"
        '<h1 itemprop="name">Olivia Jacket</h1><div itemprop="sku">WJ12</div>'
        "<table><tr><th>Color</th><td>Blue</td></tr><tr><th>Gender</th><td>Women</td></tr></table>"
        "</body></html>"
    )
    record = _one(html)
    assert (record["sku"], record["provenance"]["sku"]) == ("WJ12", "microdata")
    assert record["image_url"] == "https://shop.example/og.jpg"
    assert record["provenance"]["image_url"] == "opengraph"
    assert record["fields"]["category"] == [["breadcrumb", "Women > Jackets"]]
    assert record["fields"]["color"] == [["table", "Blue"]]


def test_rdfa_products_are_read():
    html = (
        '<html><body><div vocab="https://schema.org/" typeof="Product">'
        '<span property="name">Linen Shirt</span><span property="sku">LS1</span>'
        '<span property="color">Sage</span></div></body></html>'
    )
    record = _one(html)
    assert (record["sku"], _values(record, "color")) == ("LS1", ["Sage"])
    assert record["provenance"]["sku"] == "rdfa"


def test_an_opengraph_and_tables_page_is_a_product_and_a_plain_page_is_not():
    cafe24 = (
        '<html><head><meta property="og:title" content="울 코트">'
        '<meta property="product:price:amount" content="129000"></head><body><table>'
        "<tr><th>상품코드</th><td>P0000BAB</td></tr><tr><th>색상</th><td>차콜</td></tr>"
        "</table></body></html>"
    )
    record = _one(cafe24)
    assert (record["sku"], record["name"], record["price"]) == ("P0000BAB", "울 코트", 129000.0)
    assert record["provenance"] == {"sku": "table", "name": "opengraph", "price": "opengraph"}
    about = '<html><head><meta property="og:title" content="About us"></head></html>'
    assert extract_products(about, URL, FIELDS).records == []


def test_tables_grids_definition_lists_and_hidden_placeholders():
    tree = parse_html(
        "<html><body><table>"
        "<tr><th>계절감</th><td>봄</td><td class='on'>가을</td><td>● 겨울</td></tr>"
        "<tr class='displaynone'><th>색상</th><td>{$color}</td></tr>"
        "<tr><td>소재</td><td>면 100%</td></tr></table>"
        "<dl><dt>Fit</dt><dd>Regular</dd></dl><ul><li><b>Season:</b> FW</li></ul>"
        "<div class='xans-product-headcategory path'><ol><li>홈</li><li>OUTER</li>"
        "<li style='display:none'>(소분류)</li></ol></div></body></html>"
    )
    assert list(labelled_values(tree)) == [
        ("계절감", "가을, 겨울"), ("소재", "면 100%"), ("Fit", "Regular"), ("Season", "FW"),
    ]  # fmt: skip
    assert breadcrumb_trail(tree) == ["OUTER"]


def test_a_site_field_map_renames_and_locates():
    fmap = FieldMap.build(
        {
            "Shell": "material",
            "sku": {"css": ".prd-code"},
            "image": {"css": "#zoom img", "attr": "data-src"},
            "category": {"css": ".location a"},
        }
    )
    html = _page(
        {"@type": "Product", "name": "Coat", "sku": "ignored", "image": "/small.jpg",
         "additionalProperty": [{"name": "Shell", "value": "Wool 80%"}]},
        body='<span class="prd-code">PC-1</span><div id="zoom"><img data-src="/big.jpg"></div>'
        '<p class="location"><a>Women</a><a>Coats</a></p>',
    )  # fmt: skip
    record = _one(html, fmap)
    assert (record["sku"], record["provenance"]["sku"]) == ("PC-1", "field_map")
    assert record["image_url"] == "https://shop.example/big.jpg"
    assert record["fields"]["category"][0] == ["field_map", "Women > Coats"]
    assert _values(record, "material") == ["Wool 80%"]


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ({"Shell": "fabricc"}, "unknown field 'fabricc'"),
        ({"colour": {"css": "a"}}, "locator 'colour'"),
        ({"sku": {"css": "[[["}}, "bad CSS selector"),
        ({"sku": 3}, "expected a field name"),
    ],
)
def test_a_bad_field_map_says_which_entry(site, message):
    with pytest.raises(ValueError, match=message):
        FieldMap.build(site)


def test_the_example_field_map_is_valid():
    site = load_field_map(str(Path(__file__).resolve().parents[1] / "examples" / "field_map.json"))
    assert set(FieldMap.build(site).locators) == {"sku", "image", "category"}
