"""A fixture shop whose product pages are shaped the way real platforms print them.

Five families, each with our own products and text: a Shopify theme (`structured_data`
ProductGroup, an SEO app's second block, a details accordion), WooCommerce with Yoast (the
`@graph` with `#primaryimage` references, WooCommerce's own block, the "Additional information"
table, a hand-edited block with a trailing comma), Magento 2 Luma (microdata on <body>,
OpenGraph image, "More Information" table, breadcrumbs), a Korean Cafe24 skin (OpenGraph and
tables only, EUC-KR pages, a hidden placeholder crumb, a marked option grid) and a headless
shop following Google's product-variant guide (single-page and multi-page variants,
`isVariantOf`, schema.org gender URLs, `ImageObject`s). Served as static files by
`serve_folder`; `EXPECTED` says what each product must become.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from PIL import Image

FAMILIES = ("shopify", "woocommerce", "magento", "cafe24", "headless")


@dataclass(frozen=True)
class Expected:
    """One product of the fixture shop and what the pipeline must make of it."""

    family: str
    path: str
    sku: str | None = None  # the item's sku when kept
    values: tuple[str, str, str, str] | None = None  # category, color, gender, season
    reason: str | None = None  # the reject reason when not kept


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    colour = ((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256)
    Image.new("RGB", (48, 64), colour).save(out, format="JPEG")
    return out.getvalue()


def _ld(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


# --- Shopify: {{ product | structured_data }} plus a theme accordion ------------------------


def _shopify_page(handle: str, title: str, group: dict | None, accordion: dict[str, str],
                  app_block: dict | None = None) -> str:  # fmt: skip
    items = "".join(f"<li><strong>{k}:</strong> {v}</li>" for k, v in accordion.items())
    blocks = _ld(group) if group else ""
    blocks += _ld(app_block) if app_block else ""
    image = (group or {}).get("image") or ""
    return (
        '<!doctype html><html class="no-js" lang="en"><head><meta charset="utf-8">'
        f"<title>{title} &ndash; Northfold Supply</title>"
        f'<meta property="og:site_name" content="Northfold Supply">'
        f'<meta property="og:url" content="/products/{handle}">'
        f'<meta property="og:title" content="{title}"><meta property="og:type" content="product">'
        f'<meta property="og:image" content="{image}">'
        '<meta property="og:price:currency" content="USD"></head><body>'
        f'<main><h1 class="product__title">{title}</h1>'
        '<details class="product__accordion"><summary>Details</summary>'
        f'<div class="accordion__content rte"><ul>{items}</ul></div></details>'
        f"{blocks}</main></body></html>"
    )


def _shopify_variant(handle: str, name: str, sku: str, option: str, image: str,
                     price: str = "189.00") -> dict:  # fmt: skip
    vid = zlib.crc32(sku.encode())
    return {
        "@id": f"/products/{handle}?variant={vid}#variant",
        "@type": "Product",
        "image": image,
        "name": f"{name} - {option}",
        "offers": {
            "@id": f"/products/{handle}?variant={vid}#offer",
            "@type": "Offer",
            "availability": "http://schema.org/InStock",
            "price": price,
            "priceCurrency": "USD",
            "url": f"/products/{handle}?variant={vid}",
        },
        "sku": sku,
    }


def _shopify(images: dict[str, bytes]) -> tuple[dict[str, str], list[Expected]]:
    pages: dict[str, str] = {}
    expected: list[Expected] = []

    def img(name: str) -> str:
        images[f"cdn/shop/files/{name}.jpg"] = _jpeg(len(images) + 1)
        return f"/cdn/shop/files/{name}.jpg?v=1712&width=1920"

    def group(handle: str, name: str, gid: str, category: str, variants: list[dict]) -> dict:
        return {
            "@context": "http://schema.org/",
            "@id": f"/products/{handle}#product",
            "@type": "ProductGroup",
            "brand": {"@type": "Brand", "name": "Northfold Supply"},
            "category": category,
            "description": "",
            "hasVariant": variants,
            "name": name,
            "productGroupID": gid,
            "url": f"/products/{handle}",
        }

    coat = "Women's Wool Overcoat"
    charcoal, camel = img("overcoat-charcoal"), img("overcoat-camel")
    variants = [
        _shopify_variant("wool-overcoat", coat, "NF-WO-CH-S", "Charcoal / S", charcoal),
        _shopify_variant("wool-overcoat", coat, "NF-WO-CH-M", "Charcoal / M", charcoal),
        _shopify_variant("wool-overcoat", coat, "NF-WO-CA-S", "Camel / S", camel),
        _shopify_variant("wool-overcoat", coat, "NF-WO-CA-M", "Camel / M", camel),
    ]
    app = {  # an SEO app's own block for the same product, written with HTML entities
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Women&#39;s Wool Overcoat",
        "sku": "NF-WO-CH-S",
        "url": "/products/wool-overcoat/",
        "image": [charcoal],
        "brand": {"@type": "Brand", "name": "Northfold Supply"},
        "offers": [{"@type": "Offer", "price": "189.00", "priceCurrency": "USD"}],
    }
    taxonomy = "Apparel & Accessories > Clothing > Outerwear > Coats & Jackets"
    pages["products/wool-overcoat/"] = _shopify_page(
        "wool-overcoat",
        coat,
        group("wool-overcoat", coat, "7701", taxonomy, variants),
        {"Gender": "Women", "Season": "FW24", "Composition": "80% Wool, 20% Polyamide"},
        app,
    )
    expected += [
        Expected("shopify", "/products/wool-overcoat/", "7701-charcoal",
                 ("01outer_01coat", "Gray", "female", "winter")),
        Expected("shopify", "/products/wool-overcoat/", "7701-camel",
                 ("01outer_01coat", "Brown", "female", "winter")),
    ]  # fmt: skip

    shirt = "Men's Linen Camp Shirt"
    sage, ecru = img("camp-sage"), img("camp-ecru")
    pages["products/linen-camp-shirt/"] = _shopify_page(
        "linen-camp-shirt",
        shirt,
        group("linen-camp-shirt", shirt, "7702", "Apparel & Accessories > Clothing > Shirts & Tops",
              [_shopify_variant("linen-camp-shirt", shirt, "NF-CS-SG-S", "Sage / S", sage, "79.00"),
               _shopify_variant("linen-camp-shirt", shirt, "NF-CS-SG-M", "Sage / M", sage, "79.00"),
               _shopify_variant("linen-camp-shirt", shirt, "NF-CS-EC-S", "Ecru / S", ecru, "79.00")]),
        {"Gender": "Men", "Season": "SS25", "Composition": "100% Linen"},
    )  # fmt: skip
    expected += [
        Expected("shopify", "/products/linen-camp-shirt/", "7702-sage",
                 ("02top_04shirt", "Green", "male", "summer")),
        Expected("shopify", "/products/linen-camp-shirt/", "7702-ecru",
                 ("02top_04shirt", "White", "male", "summer")),
    ]  # fmt: skip

    tee_image = img("boxy-tee")
    tee = {  # a product without variants is printed as a Product
        "@context": "http://schema.org/",
        "@id": "/products/boxy-tee#product",
        "@type": "Product",
        "brand": {"@type": "Brand", "name": "Northfold Supply"},
        "category": "Apparel & Accessories > Clothing > Shirts & Tops > T-Shirts",
        "image": tee_image,
        "name": "Boxy Heavyweight Tee",
        "offers": {"@type": "Offer", "price": "38.00", "priceCurrency": "USD"},
        "sku": "NF-BT-01",
    }
    pages["products/boxy-tee/"] = _shopify_page(
        "boxy-tee", "Boxy Heavyweight Tee", tee,
        {"Colour": "Heather Grey", "Gender": "Unisex", "Season": "All season",
         "Composition": "Cotton"},
    )  # fmt: skip
    expected.append(Expected("shopify", "/products/boxy-tee/", "NF-BT-01",
                             ("02top_02t-shirt", "Gray", "both", "spring&fall")))  # fmt: skip

    skirt = "Pleated Midi Skirt"
    skirt_image = img("pleated-skirt")
    pages["products/pleated-midi-skirt/"] = _shopify_page(
        "pleated-midi-skirt",
        skirt,
        group("pleated-midi-skirt", skirt, "7704", "Apparel & Accessories > Clothing > Skirts",
              [_shopify_variant("pleated-midi-skirt", skirt, f"NF-PS-{s}", s, skirt_image, "64.00")
               for s in ("S", "M", "L")]),
        {"Colour": "Burgundy", "Gender": "Women", "Season": "Spring/Summer",
         "Composition": "Polyester 100%"},
    )  # fmt: skip
    expected.append(Expected("shopify", "/products/pleated-midi-skirt/", "7704",
                             ("04bottom_02skirt", "Red", "female", "summer")))  # fmt: skip

    jeans = "Relaxed Jeans"
    light, dark = img("jeans-light"), img("jeans-dark")
    pages["products/relaxed-jeans/"] = _shopify_page(
        "relaxed-jeans",
        jeans,
        group("relaxed-jeans", jeans, "7705", "Apparel & Accessories > Clothing > Pants > Jeans",
              [_shopify_variant("relaxed-jeans", jeans, "NF-RJ-LW-30", "Light Wash / 30", light),
               _shopify_variant("relaxed-jeans", jeans, "NF-RJ-DW-30", "Dark Wash / 30", dark)]),
        {"Gender": "Men", "Season": "Year-round", "Composition": "98% Cotton 2% Elastane"},
    )  # fmt: skip
    expected += [
        Expected("shopify", "/products/relaxed-jeans/", "7705-light-wash",
                 ("04bottom_01pants", "Blue", "male", "spring&fall")),
        Expected("shopify", "/products/relaxed-jeans/", "7705-dark-wash",
                 ("04bottom_01pants", "Blue", "male", "spring&fall")),
    ]  # fmt: skip

    for handle, name, category, reason in (
        ("canvas-tote", "Canvas Tote",
         "Apparel & Accessories > Handbags, Wallets & Cases > Handbags", "unknown_category"),
        ("court-sneaker", "Court Sneaker", "Apparel & Accessories > Shoes > Sneakers",
         "unknown_category"),
        ("cargo-pants", "Cargo Pants", "Apparel & Accessories > Clothing > Pants",
         "missing_field"),
    ):  # fmt: skip
        node = {**tee, "@id": f"/products/{handle}#product", "name": name, "category": category,
                "sku": f"NF-{handle}", "image": img(handle)}  # fmt: skip
        pages[f"products/{handle}/"] = _shopify_page(
            handle, name, node, {"Colour": "Black", "Gender": "Unisex"}
        )
        expected.append(Expected("shopify", f"/products/{handle}/", reason=reason))
    return pages, expected


# --- WooCommerce with Yoast SEO ------------------------------------------------------------


def _woo_page(slug: str, title: str, blocks: list[str], attributes: dict[str, str],
              crumbs: list[str]) -> str:  # fmt: skip
    rows = "".join(
        f'<tr class="woocommerce-product-attributes-item woocommerce-product-attributes-item--'
        f'attribute_pa_{k.lower()}"><th class="woocommerce-product-attributes-item__label" '
        f'scope="row">{k}</th><td class="woocommerce-product-attributes-item__value"><p>{v}</p>'
        "</td></tr>"
        for k, v in attributes.items()
    )
    trail = "&nbsp;&#47;&nbsp;".join(f'<a href="/">{c}</a>' for c in crumbs[:-1])
    return (
        '<!DOCTYPE html><html lang="fr-FR"><head><meta charset="UTF-8">'
        f"<title>{title} - Maison Lin</title>{''.join(blocks)}</head>"
        '<body class="product-template-default single single-product woocommerce">'
        f'<nav class="woocommerce-breadcrumb" aria-label="Breadcrumb">{trail}&nbsp;&#47;&nbsp;'
        f'{crumbs[-1]}</nav><h1 class="product_title entry-title">{title}</h1>'
        '<div class="woocommerce-Tabs-panel" id="tab-additional_information">'
        "<h2>Additional information</h2>"
        f'<table class="woocommerce-product-attributes shop_attributes">{rows}</table></div>'
        "</body></html>"
    )


def _yoast_graph(origin_path: str, name: str, image: str, product: dict | None,
                 crumbs: list[str]) -> dict:  # fmt: skip
    page = f"https://maison-lin.example{origin_path}"
    graph: list[dict] = [
        {"@type": ["WebPage", "ItemPage"], "@id": page, "url": page, "name": name,
         "primaryImageOfPage": {"@id": f"{page}#primaryimage"},
         "image": {"@id": f"{page}#primaryimage"}, "breadcrumb": {"@id": f"{page}#breadcrumb"}},
        {"@type": "ImageObject", "inLanguage": "fr-FR", "@id": f"{page}#primaryimage",
         "url": image, "contentUrl": image, "width": 1200, "height": 1500, "caption": name},
        {"@type": "BreadcrumbList", "@id": f"{page}#breadcrumb",
         "itemListElement": [
             {"@type": "ListItem", "position": i + 1, "name": c,
              **({"item": f"https://maison-lin.example/c{i}/"} if i < len(crumbs) - 1 else {})}
             for i, c in enumerate(crumbs)]},
        {"@type": "WebSite", "@id": "https://maison-lin.example/#website", "name": "Maison Lin"},
    ]  # fmt: skip
    if product:
        graph.append({**product, "mainEntityOfPage": {"@id": page},
                      "image": {"@id": f"{page}#primaryimage"}})  # fmt: skip
    return {"@context": "https://schema.org", "@graph": graph}


def _woocommerce(images: dict[str, bytes]) -> tuple[dict[str, str], list[Expected]]:
    pages: dict[str, str] = {}
    expected: list[Expected] = []

    def img(name: str) -> str:
        images[f"wp-content/uploads/2026/10/{name}.jpg"] = _jpeg(len(images) + 101)
        return f"/wp-content/uploads/2026/10/{name}.jpg"

    offer = [{"@type": "Offer", "price": "89.00", "priceValidUntil": "2027-12-31",
              "priceSpecification": {"@type": "UnitPriceSpecification", "price": "89.00",
                                     "priceCurrency": "EUR", "valueAddedTaxIncluded": "true"},
              "priceCurrency": "EUR", "availability": "http://schema.org/InStock"}]  # fmt: skip

    # 1. Yoast WooCommerce SEO stitches one graph: the image is a reference to #primaryimage
    path, crumbs = "/product/sage-linen-shirt/", ["Home", "Women", "Shirts & Blouses",
                                                  "Sage Linen Shirt"]  # fmt: skip
    product = {"@type": "Product", "@id": f"https://maison-lin.example{path}#product",
               "name": "Sage Linen Shirt", "sku": "ML-SLS-01", "offers": offer,
               "brand": {"@type": "Brand", "name": "Maison Lin"}}  # fmt: skip
    graph = _yoast_graph(path, "Sage Linen Shirt", img("sage-linen-shirt"), product, crumbs)
    pages[path.lstrip("/")] = _woo_page(
        "sage-linen-shirt", "Sage Linen Shirt", [_ld(graph)],
        {"Color": "Sage", "Gender": "Women", "Season": "Spring, Summer", "Material": "100% Linen"},
        crumbs,
    )  # fmt: skip
    expected.append(Expected("woocommerce", path, "ML-SLS-01",
                             ("02top_04shirt", "Green", "female", "summer")))  # fmt: skip

    # 2. plain Yoast graph (no Product) next to WooCommerce's own block
    path, crumbs = "/product/merino-cardigan/", ["Home", "Men", "Knitwear", "Merino Cardigan"]
    woo_block = {"@context": "https://schema.org/", "@graph": [
        {"@context": "https://schema.org/", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "item": {"name": "Home", "@id": "/"}}]},
        {"@context": "https://schema.org/", "@type": "Product",
         "@id": f"https://maison-lin.example{path}#product", "name": "Merino Cardigan",
         "url": f"https://maison-lin.example{path}", "description": "Fine gauge.",
         "image": img("merino-cardigan"), "sku": "ML-MC-01",
         "offers": [{"@type": "AggregateOffer", "lowPrice": "89.00", "highPrice": "99.00",
                     "offerCount": 3, "priceCurrency": "EUR"}]}]}  # fmt: skip
    yoast = _yoast_graph(path, "Merino Cardigan", "", None, crumbs)
    pages[path.lstrip("/")] = _woo_page(
        "merino-cardigan", "Merino Cardigan", [_ld(yoast), _ld(woo_block)],
        {"Colour": "Oatmeal", "Gender": "Men", "Season": "Autumn/Winter",
         "Material": "100% Merino Wool"},
        crumbs,
    )  # fmt: skip
    expected.append(Expected("woocommerce", path, "ML-MC-01",
                             ("01outer_04cardigan", "Beige", "male", "winter")))  # fmt: skip

    # 3. a hand-edited block: a comment, a trailing comma, one additionalProperty object
    path = "/product/wrap-dress/"
    image = img("wrap-dress")
    block = (
        '<script type="application/ld+json">\n// added by the theme\n{"@context": '
        '"https://schema.org", "@type": "Product", "name": "Wrap Dress", "sku": "ML-WD-01", '
        f'"image": "{image}", "color": "Terracotta", "additionalProperty": {{"@type": '
        '"PropertyValue", "name": "Season", "value": "SS"}, "offers": {"@type": "Offer", '
        '"price": "120", "priceCurrency": "EUR"},}\n</script>'
    )
    crumbs = ["Home", "Women", "Dresses", "Wrap Dress"]
    bc = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i + 1, "name": c} for i, c in enumerate(crumbs)
        ],
    }
    pages[path.lstrip("/")] = _woo_page(
        "wrap-dress", "Wrap Dress", [block, _ld(bc)], {"Gender": "Women"}, crumbs
    )
    expected.append(Expected("woocommerce", path, "ML-WD-01",
                             ("03-1onepiece(dress)", "Orange", "female", "summer")))  # fmt: skip

    # 4-6: accessories and a product listing several colours without variants
    for slug, name, crumb, attrs, reason in (
        ("wool-scarf", "Wool Scarf", "Scarves", {"Color": "Grey"}, "unknown_category"),
        ("eau-de-lin", "Eau de Lin", "Fragrance", {}, "unknown_category"),
        ("rib-tank", "Rib Tank Top", "T-Shirts & Tees",
         {"Color": "Black, White, Taupe", "Gender": "Women", "Season": "Summer"},
         "invalid_value"),
    ):  # fmt: skip
        path, crumbs = f"/product/{slug}/", ["Home", "Shop", crumb, name]
        product = {"@type": "Product", "@id": f"https://maison-lin.example{path}#product",
                   "name": name, "sku": f"ML-{slug}", "offers": offer}  # fmt: skip
        graph = _yoast_graph(path, name, img(slug), product, crumbs)
        pages[path.lstrip("/")] = _woo_page(slug, name, [_ld(graph)], attrs, crumbs)
        expected.append(Expected("woocommerce", path, reason=reason))
    return pages, expected


# --- Magento 2 (Luma): microdata on <body>, OpenGraph image, More Information table -----------


def _magento_page(key: str, name: str, sku: str, price: str, crumbs: list[str],
                  attributes: dict[str, str], image: str, extra: str = "") -> str:  # fmt: skip
    items = '<li class="item home"><a href="/" title="Go to Home Page">Home</a></li>'
    items += "".join(
        f'<li class="item category{i}"><a href="/c{i}.html">{c}</a></li>'
        for i, c in enumerate(crumbs)
    )
    items += f'<li class="item product"><strong>{name}</strong></li>'
    rows = "".join(
        f'<tr><th class="col label" scope="row">{k}</th><td class="col data" data-th="{k}">{v}'
        "</td></tr>"
        for k, v in attributes.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{name}</title><meta property="og:type" content="product">'
        f'<meta property="og:title" content="{name}"><meta property="og:image" content="{image}">'
        f'<meta property="product:price:amount" content="{price}">'
        '<meta property="product:price:currency" content="USD"></head>'
        f'<body class="catalog-product-view product-{key} page-layout-1column" '
        'itemtype="http://schema.org/Product" itemscope="itemscope">'
        f'<div class="breadcrumbs"><ul class="items">{items}</ul></div>'
        '<div class="product-info-main"><div class="page-title-wrapper product">'
        '<h1 class="page-title"><span class="base" data-ui-id="page-title-wrapper" '
        f'itemprop="name">{name}</span></h1></div>'
        '<div class="price-box price-final_price" data-role="priceBox" itemprop="offers" '
        'itemscope itemtype="http://schema.org/Offer"><span class="price-container">'
        f'<span class="price">${price}</span><meta itemprop="price" content="{price}">'
        '<meta itemprop="priceCurrency" content="USD"></span></div>'
        '<div class="product attribute sku"><strong class="type">SKU</strong>'
        f'<div class="value" itemprop="sku">{sku}</div></div>{extra}</div>'
        '<div class="product media"><img alt="main product photo" '
        f'class="gallery-placeholder__image" src="{image}"></div>'
        '<div class="additional-attributes-wrapper table-wrapper">'
        '<table class="data table additional-attributes" id="product-attribute-specs-table">'
        f'<caption class="table-caption">More Information</caption><tbody>{rows}</tbody>'
        "</table></div></body></html>"
    )


def _magento(images: dict[str, bytes]) -> tuple[dict[str, str], list[Expected]]:
    pages: dict[str, str] = {}
    expected: list[Expected] = []

    def img(name: str) -> str:
        images[f"media/catalog/product/cache/1/{name}.jpg"] = _jpeg(len(images) + 201)
        return f"/media/catalog/product/cache/1/{name}.jpg"

    table = [
        ("olivia-zip-jacket", "Olivia 1/4 Zip Light Jacket", "WJ12", "77.00",
         ["Women", "Tops", "Jackets"],
         {"Style": "Lightweight, Jacket", "Material": "Nylon, Polyester", "Color": "Blue",
          "Gender": "Women", "Season": "Spring"}, "",
         ("01outer_02jacket", "Blue", "female", "spring&fall")),
        ("harbour-chino-short", "Harbour Chino Short", "MSH09", "45.00",
         ["Men", "Bottoms", "Shorts"],
         {"Material": "Cotton", "Color": "Khaki", "Gender": "Men", "Season": "Summer"}, "",
         ("04bottom_01pants", "Beige", "male", "summer")),
        ("marina-hoodie", "Marina Hoodie", "MH07", "62.00",
         ["Men", "Tops", "Hoodies & Sweatshirts"],
         {"Material": "Cotton, Polyester", "Gender": "Men", "Season": "Fall"},
         '<span itemprop="color">Mint</span>',
         ("02top_02t-shirt", "Green", "male", "spring&fall")),
    ]  # fmt: skip
    for key, name, sku, price, crumbs, attrs, extra, values in table:
        pages[f"{key}.html"] = _magento_page(key, name, sku, price, crumbs, attrs, img(key), extra)
        expected.append(Expected("magento", f"/{key}.html", sku, values))
    for key, name, sku, crumbs, attrs, reason in (
        ("strap-belt", "Strap Belt", "AB01", ["Gear", "Belts"],
         {"Color": "Brown", "Gender": "Men", "Season": "Fall"}, "unknown_category"),
        # Luma's "Climate" says the season, under a label only a site field map can name
        ("flex-yoga-pant", "Flex Yoga Pant", "WP05", ["Women", "Bottoms", "Pants"],
         {"Color": "Black", "Gender": "Women", "Climate": "Cool, Wintry"}, "missing_field"),
    ):  # fmt: skip
        pages[f"{key}.html"] = _magento_page(key, name, sku, "30.00", crumbs, attrs, img(key))
        expected.append(Expected("magento", f"/{key}.html", reason=reason))
    return pages, expected


# --- Cafe24: OpenGraph and tables only ----------------------------------------------------------


def _grid(label: str, options: list[str], marked: set[str], style: str = "class") -> str:
    cells = "".join(
        (f'<td class="on">{o}</td>' if style == "class" else f"<td>● {o}</td>")
        if o in marked else f"<td>{o}</td>"
        for o in options
    )  # fmt: skip
    return f"<tr><th>{label}</th>{cells}</tr>"


def _cafe24_page(no: int, title: str, price: str, code: str, menu: list[str],
                 notice: dict[str, str], grids: str, image: str) -> str:  # fmt: skip
    notice_rows = "".join(
        f"<tr><th scope='row'>{k}</th><td>{v}</td></tr>" for k, v in notice.items()
    )
    return (
        '<!DOCTYPE html><html lang="ko"><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'
        f'<title>하루옷장</title><meta property="og:title" content="{title}">'
        '<meta property="og:type" content="website">'
        f'<meta property="og:image" content="{image}">'
        f'<meta property="product:price:amount" content="{price}">'
        '<meta property="product:price:currency" content="KRW"></head><body>'
        '<div class="xans-element- xans-product xans-product-headcategory path "><span>현재 위치'
        '</span><ol><li><a href="/">홈</a></li>'
        + "".join(f'<li class=""><a href="/category/{m.lower()}/{no}/">{m}</a></li>' for m in menu)
        + '<li class="displaynone"><a href="">(대분류)</a></li>'
        '<li class="displaynone"><strong><a href="">(소분류)</a></strong></li></ol></div>'
        '<div class="xans-element- xans-product xans-product-detaildesign"><table border="1" '
        'summary=""><caption>기본 정보</caption><tbody>'
        '<tr class=" xans-record-"><th scope="row"><span style="font-size:12px;">상품명</span>'
        f'</th><td><span style="font-size:12px;">{title}</span></td></tr>'
        '<tr class=" xans-record-"><th scope="row"><span>판매가</span></th><td><span><strong '
        f'id="span_product_price_text">{int(price):,}원</strong></span></td></tr>'
        f'<tr class=" xans-record-"><th scope="row"><span>상품코드</span></th><td><span>{code}'
        "</span></td></tr></tbody></table></div>"
        f'<div class="fit_info"><table><tbody>{grids}</tbody></table></div>'
        '<div class="info_notice"><h3>상품정보제공고시</h3><table><tbody>'
        f"{notice_rows}</tbody></table></div></body></html>"
    )


def _cafe24(images: dict[str, bytes]) -> tuple[dict[str, bytes], list[Expected]]:
    pages: dict[str, bytes] = {}
    expected: list[Expected] = []
    seasons = ["봄", "여름", "가을", "겨울"]
    table = [
        (101, "[하루옷장] 여성 울 블렌드 핸드메이드 코트", "129000", "P0000BAB", ["OUTER"],
         {"제품소재": "겉감: 울 70% 폴리에스터 30% / 안감: 폴리에스터 100%", "색상": "차콜",
          "치수": "FREE", "제조국": "대한민국"},
         _grid("계절감", seasons, {"겨울"}), ("01outer_01coat", "Gray", "female", "winter")),
        (102, "[하루옷장] 남녀공용 오버핏 맨투맨", "39000", "P0000BAC", ["TOP"],
         {"제품소재": "면 100%", "색상": "멜란지그레이", "치수": "M, L"},
         _grid("계절감", seasons, {"봄", "가을"}, "mark"),
         ("02top_02t-shirt", "Gray", "both", "spring&fall")),
        (103, "[하루옷장] 데일리 와이드 슬랙스", "45000", "P0000BAD", ["BOTTOM", "PANTS"],
         {"제품소재": "폴리에스터 65% 레이온 30% 스판 5%", "색상": "블랙", "성별": "여성",
          "계절": "사계절"},
         "", ("04bottom_01pants", "Black", "female", "spring&fall")),
        (104, "[하루옷장] 여성 셔링 롱 원피스", "52000", "P0000BAE", ["OPS"],
         {"제품소재": "레이온 100%", "색상": "소라", "계절": "여름"}, "",
         ("03-1onepiece(dress)", "Blue", "female", "summer")),
        (105, "[하루옷장] 남성 코튼 셔츠", "42000", "P0000BAF", ["TOP"],
         {"제품소재": "100% 코튼", "칼라": "아이보리"},
         _grid("계절감", seasons, {"봄", "여름", "가을"}),
         ("02top_04shirt", "White", "male", "spring&fall")),
    ]  # fmt: skip
    for no, title, price, code, menu, notice, grids, values in table:
        image = f"/web/product/big/202611/{code}.jpg"
        images[image.lstrip("/")] = _jpeg(no)
        path = f"product/{title.split('] ')[1].replace(' ', '-')}/{no}/"
        html = _cafe24_page(no, title, price, code, menu, notice, grids, image)
        pages[path] = html.encode("cp949")
        expected.append(Expected("cafe24", "/" + path, code, values))
    for no, title, code, menu, notice, reason in (
        (106, "[하루옷장] 여성 스트라이프 셔츠 (3color)", "P0000BAG", ["TOP"],
         {"색상": "화이트, 네이비, 블랙", "계절": "봄/가을"}, "invalid_value"),
        (107, "[하루옷장] 캐시미어 머플러", "P0000BAH", ["ACC"], {"색상": "베이지"},
         "unknown_category"),
        (108, "[하루옷장] 여성 스웨이드 로퍼", "P0000BAI", ["SHOES"], {"색상": "브라운"},
         "unknown_category"),
    ):  # fmt: skip
        image = f"/web/product/big/202611/{code}.jpg"
        images[image.lstrip("/")] = _jpeg(no)
        path = f"product/item/{no}/"
        pages[path] = _cafe24_page(no, title, "30000", code, menu, notice, "", image).encode(
            "cp949"
        )
        expected.append(Expected("cafe24", "/" + path, reason=reason))
    return pages, expected


# --- A headless shop following Google's product-variant guide --------------------------------


def _headless_page(title: str, blocks: list[dict | str]) -> str:
    body = "".join(b if isinstance(b, str) else _ld(b) for b in blocks)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{title} | Kestrel Outdoor</title>{body}</head><body><div id="__next">'
        f"<h1>{title}</h1></div></body></html>"
    )


def _crumbs(*names: str) -> dict:
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": i + 1, "name": n,
         "item": f"https://kestrel.example/{n.lower()}"} for i, n in enumerate(names)]}  # fmt: skip


def _headless(images: dict[str, bytes]) -> tuple[dict[str, str], list[Expected]]:
    pages: dict[str, str] = {}
    expected: list[Expected] = []

    def img(name: str) -> dict:
        images[f"images/{name}.jpg"] = _jpeg(len(images) + 301)
        return {
            "@type": "ImageObject",
            "name": f"{name} front",
            "contentUrl": f"/images/{name}.jpg",
        }

    def variant(sku: str, colour: str, size: str, image: dict, price: float = 249.0) -> dict:
        return {"@type": "Product", "sku": sku, "name": f"Down Parka {colour} {size}",
                "image": [image], "color": colour, "size": size,
                "offers": {"@type": "Offer", "price": price, "priceCurrency": "USD",
                           "availability": "https://schema.org/InStock"}}  # fmt: skip

    green, black = img("parka-forest"), img("parka-black")
    parka = {
        "@context": "https://schema.org/",
        "@type": "ProductGroup",
        "@id": "#parka",
        "name": "Down Parka",
        "description": "Warm, light, packable.",
        "url": "https://kestrel.example/p/down-parka",
        "brand": {"@type": "Brand", "name": "Kestrel"},
        "audience": {"@type": "PeopleAudience", "suggestedGender": "https://schema.org/Male"},
        "additionalProperty": {"@type": "PropertyValue", "name": "season", "value": "F/W 2025"},
        "productGroupID": "KP-01",
        "variesBy": ["https://schema.org/size", "https://schema.org/color"],
        "hasVariant": [
            variant("KP-01-FG-M", "Forest Green", "M", green),
            variant("KP-01-FG-L", "Forest Green", "L", green),
            variant("KP-01-BK-M", "Black", "M", black),
        ],
    }
    pages["p/down-parka/"] = _headless_page(
        "Down Parka", [parka, _crumbs("Men", "Outerwear", "Parkas")]
    )
    expected += [
        Expected("headless", "/p/down-parka/", "KP-01-forest-green",
                 ("01outer_03jumper", "Green", "male", "winter")),
        Expected("headless", "/p/down-parka/", "KP-01-black",
                 ("01outer_03jumper", "Black", "male", "winter")),
    ]  # fmt: skip

    for colour, other in (("Rust", "Slate"), ("Slate", "Rust")):  # one page per colour
        sku = f"KT-02-{colour[:2].upper()}"
        group = {
            "@context": "https://schema.org/",
            "@type": "ProductGroup",
            "@id": "#trail-tee",
            "name": "Trail Tee",
            "productGroupID": "KT-02",
            "variesBy": ["https://schema.org/color"],
            "audience": {"@type": "PeopleAudience", "suggestedGender": "unisex"},
            "additionalProperty": [{"@type": "PropertyValue", "name": "Season", "value": "SS"}],
            "hasVariant": [
                {"@type": "Product", "sku": sku, "name": f"Trail Tee {colour}", "color": colour,
                 "image": img(f"trail-tee-{colour.lower()}"),
                 "offers": {"@type": "Offer", "price": "32.00", "priceCurrency": "USD"}},
                {"@type": "Product", "url": f"https://kestrel.example/p/trail-tee-{other.lower()}/"},
            ],
        }  # fmt: skip
        pages[f"p/trail-tee-{colour.lower()}/"] = _headless_page(
            "Trail Tee", [group, _crumbs("Unisex", "Tops", "T-Shirts")]
        )
        expected.append(Expected("headless", f"/p/trail-tee-{colour.lower()}/",
                                 f"KT-02-{colour.lower()}",
                                 ("02top_02t-shirt", "Orange" if colour == "Rust" else "Gray",
                                  "both", "summer")))  # fmt: skip

    vest = {  # variant first, its group inline; a literal tab and newline inside a string
        "@context": "https://schema.org/",
        "@type": "Product",
        "sku": "KV-11-NV",
        "name": "Fleece Vest\tNavy",
        "description": "Grid fleece.\nWarm.",
        "color": "Navy",
        "image": img("fleece-vest-navy"),
        "inProductGroupWithID": "KV-11",
        "isVariantOf": {"@type": "ProductGroup", "@id": "#vest", "name": "Fleece Vest",
                        "productGroupID": "KV-11", "variesBy": ["https://schema.org/color"],
                        "audience": {"@type": "PeopleAudience", "suggestedGender": "female"},
                        "additionalProperty": [{"@type": "PropertyValue", "name": "Season",
                                                "value": "Winter"}]},
        "offers": {"@type": "Offer", "price": "79.00", "priceCurrency": "USD"},
    }  # fmt: skip
    raw = json.dumps(vest).replace("\\t", "\t").replace("\\n", "\n")
    pages["p/fleece-vest-navy/"] = _headless_page(
        "Fleece Vest", [f'<script type="application/ld+json">{raw}</script>',
                        _crumbs("Women", "Vests")]
    )  # fmt: skip
    expected.append(Expected("headless", "/p/fleece-vest-navy/", "KV-11-navy",
                             ("02top_05vest", "Blue", "female", "winter")))  # fmt: skip

    for slug, name, crumbs in (
        ("ridge-boot", "Ridge Hiking Boot", ("Footwear", "Boots")),
        ("sun-hat", "Sun Hat", ("Accessories", "Hats")),
    ):
        node = {"@context": "https://schema.org/", "@type": "Product", "sku": f"K-{slug}",
                "name": name, "color": "Brown", "image": img(slug),
                "audience": {"@type": "PeopleAudience", "suggestedGender": "unisex"},
                "additionalProperty": [{"@type": "PropertyValue", "name": "Season",
                                        "value": "Summer"}]}  # fmt: skip
        pages[f"p/{slug}/"] = _headless_page(name, [node, _crumbs(*crumbs)])
        expected.append(Expected("headless", f"/p/{slug}/", reason="unknown_category"))
    return pages, expected


def build_platform_shop(root: Path) -> list[Expected]:
    """Write the shop's pages and images under `root`; returns what every product must become.

    `write_sitemaps` adds robots.txt and the sitemaps once the origin is known.
    """
    images: dict[str, bytes] = {}
    expected: list[Expected] = []
    for build in (_shopify, _woocommerce, _magento, _cafe24, _headless):
        pages, wanted = build(images)
        expected += wanted
        for path, html in pages.items():
            target = root / path
            if path.endswith("/"):
                target = target / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html if isinstance(html, bytes) else html.encode("utf-8"))
    for path, data in images.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / "pages.json").write_text(
        json.dumps(sorted({e.path for e in expected}), ensure_ascii=False)
    )
    return expected


def write_sitemaps(root: Path, origin: str) -> None:
    """robots.txt (everything disallowed but the shop's sections: RFC 9309's longest match, `*`
    and `$`) and a sitemap index over two sitemaps, one of them gzipped."""
    paths: list[str] = json.loads((root / "pages.json").read_text())
    index = ""
    for name, gzipped in (("products", True), ("pages", False)):
        urls = [p for p in paths if p.startswith("/products/") == gzipped]
        body = "".join(f"<url><loc>{origin}{quote(p)}</loc></url>" for p in urls)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
            f'"http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
        ).encode()
        filename = f"sitemap-{name}.xml" + (".gz" if gzipped else "")
        (root / filename).write_bytes(gzip.compress(xml) if gzipped else xml)
        index += f"<sitemap><loc>{origin}/{filename}</loc></sitemap>"
    (root / "sitemap_index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
        f'"http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'
    )
    (root / "robots.txt").write_text(
        "User-agent: *\nDisallow: /\nAllow: /products/\nAllow: /product/\nAllow: /p/\n"
        "Allow: /*.html$\nAllow: /cdn/\nAllow: /wp-content/\nAllow: /media/\nAllow: /web/\n"
        "Allow: /images/\nDisallow: /*?add-to-cart=\n"
        f"Sitemap: {origin}/sitemap_index.xml\n"
    )
