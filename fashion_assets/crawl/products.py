"""From a page's structured data and printed facts to raw product records, one per colour.

Every syntax a page uses (JSON-LD, microdata, RDFa) gives product entities; entities that name
the same product (same sku, group id, @id, URL, or one name inside the other: a theme block
next to an SEO app's block) merge into one. A `ProductGroup` becomes one record per colour
variant (sizes of a colour are one item), its fields inherited by each variant and `variesBy`
respected; a variant page (`isVariantOf`) becomes its variant. What the page states outside
structured data (OpenGraph, tables, breadcrumbs, a site map's locators) belongs to the page's
main product.

A record keeps, for every field, each value a source stated, in the order sources are trusted
(`SOURCES`): `preprocess.clean` takes the first one the vocabulary understands and records its
source. Nothing is guessed here: a field no source states stays missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from fashion_assets.catalog.colours import read_colour
from fashion_assets.catalog.words import fold
from fashion_assets.crawl.field_map import IDENTITY_FIELDS, MAPPABLE_FIELDS, FieldMap
from fashion_assets.crawl.page_facts import breadcrumb_trail, labelled_values, text_of
from fashion_assets.crawl.structured import PageData, read_page, types_of

#: Where a value came from, most trusted first ("title" is added by the cleaner, last).
SOURCES = ("field_map", "jsonld", "microdata", "rdfa", "opengraph", "table", "breadcrumb")
_PRODUCT_TYPES = {"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts"}
_ID_PROPS = ("sku", "productID", "mpn", "gtin14", "gtin13", "gtin12", "gtin8", "gtin")
_NOT_ATTRIBUTES = {
    *_ID_PROPS, "name", "brand", "manufacturer", "image", "offers", "additionalProperty",
    "audience", "hasVariant", "isVariantOf", "variesBy", "productGroupID", "inProductGroupWithID",
    "url", "description", "review", "aggregateRating", "mainEntityOfPage", "seller", "logo",
    "potentialAction", "isRelatedTo", "isSimilarTo", "releaseDate", "itemCondition", "weight",
    "size", "hasMerchantReturnPolicy", "shippingDetails", "subjectOf", "isAccessoryOrSparePartFor",
}  # fmt: skip
_OG_PRODUCT_TYPES = {"product", "product.item", "og:product", "product.group"}
_PRICE = re.compile(r"\d[\d,.]*")
_OPTION_SPLIT = re.compile(r"\s*(?:/|\||,| - )\s*")
Candidates = dict[str, list[tuple[str, str]]]


@dataclass
class Entity:
    """One product (or group) as one source states it, or several sources merged."""

    source: str
    name: str | None = None
    sku: str | None = None
    brand: str | None = None
    image: str | None = None
    price: float | None = None
    currency: str | None = None
    group_id: str | None = None
    keys: set[str] = field(default_factory=set)
    fields: Candidates = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    variants: list[Entity] = field(default_factory=list)
    varies_by: set[str] = field(default_factory=set)
    origin: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, source: str, raw: str | None) -> None:
        """Add a candidate value of an attribute field."""
        if raw and (source, raw) not in self.fields.setdefault(name, []):
            self.fields[name].append((source, raw))

    def set(self, name: str, value: Any, source: str) -> None:
        """Set an identity field unless a more trusted source already did."""
        if value not in (None, "") and getattr(self, name) in (None, ""):
            setattr(self, name, value)
            self.origin[name] = source

    def identify(self) -> Entity:
        """Fill in the keys other entities of the same product share."""
        for prefix, value in (("sku", self.sku), ("gid", self.group_id)):
            if value:
                self.keys.add(f"{prefix}:{fold(value).strip()}")
        if self.name:
            self.keys.add(f"name:{' '.join(fold(self.name).split())}")
        for v in self.variants:
            self.keys |= {k for k in v.identify().keys if not k.startswith("name:")}
        return self

    def absorb(self, other: Entity) -> None:
        """Merge what `other` states into this entity, after what this one states."""
        for name in ("name", "sku", "brand", "image", "price", "currency", "group_id"):
            self.set(name, getattr(other, name), other.origin.get(name, other.source))
        for name, values in other.fields.items():
            for source, raw in values:
                self.add(name, source, raw)
        for key, value in other.extra.items():
            self.extra.setdefault(key, value)
        seen = {v.sku or v.name for v in self.variants}
        self.variants += [v for v in other.variants if (v.sku or v.name) not in seen]
        self.varies_by |= other.varies_by
        self.keys |= other.keys


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any, page: PageData, joiner: str = ", ") -> str | None:
    if type(value) is str:  # the common case, first
        return " ".join(value.split()) or None
    value = page.deref(value)
    if isinstance(value, list):
        texts = [t for t in (_text(v, page, joiner) for v in value) if t]
        return joiner.join(dict.fromkeys(texts)) or None
    if isinstance(value, dict):
        for key in ("name", "@value", "value", "url", "@id"):
            if value.get(key) not in (None, ""):
                return _text(value[key], page, joiner)
        return None
    if value is None or isinstance(value, bool):
        return None
    text = " ".join(str(value).split())
    return text or None


def _image(value: Any, page: PageData) -> str | None:
    for item in _listify(page.deref(value)):
        item = page.deref(item)
        url = (
            item.get("contentUrl") or item.get("url") or item.get("thumbnailUrl")
            if isinstance(item, dict)
            else item
        )
        url = _listify(url)[0] if isinstance(url, list) and url else url
        if isinstance(url, str) and url.strip():
            return urljoin(page.url, url.strip())
    return None


def parse_number(value: Any) -> float | None:
    """The number in a price or an age: "59.00", "89,000원", 89000, "₩89,000", "12,50" (a
    decimal comma); None when there is none."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _PRICE.search(str(value or ""))
    if not match:
        return None
    text = match.group()
    if "," in text and "." in text:  # "1,234.56" or "1.234,56": the last mark is the decimal one
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        text = text.replace("," if decimal == "." else ".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        text = text.replace(",", "")
    return float(text.replace(",", "."))


def _offer(value: Any, page: PageData) -> tuple[float | None, str | None]:
    for offer in _listify(page.deref(value)):
        offer = page.deref(offer)
        if not isinstance(offer, dict):
            continue
        specs = [page.deref(s) for s in _listify(page.deref(offer.get("priceSpecification")))]
        spec = next((s for s in specs if isinstance(s, dict)), {})
        raw = next(
            (v for v in (offer.get("price"), offer.get("lowPrice"), spec.get("price")) if v),
            None,
        )
        currency = _text(offer.get("priceCurrency") or spec.get("priceCurrency"), page)
        if raw is not None:
            return parse_number(raw), currency
    return None, None


def _age_of(audience: Mapping[str, Any], page: PageData) -> str | None:
    """ "kids" or "adult" from a PeopleAudience's suggested ages (years), or None."""
    age = page.deref(audience.get("suggestedAge"))
    age = age if isinstance(age, dict) else {}
    low = parse_number(audience.get("suggestedMinAge") or age.get("minValue"))
    high = parse_number(audience.get("suggestedMaxAge") or age.get("maxValue"))
    if high is not None and high <= 14:
        return "kids"
    if low is not None and low >= 13:
        return "adult"
    return None


def _is_product(node: Any) -> bool:
    return isinstance(node, dict) and bool(types_of(node) & _PRODUCT_TYPES)


def _has_substance(node: Mapping[str, Any]) -> bool:
    """A variant with nothing but a URL or @id points to another page; it is not read here."""
    return any(node.get(k) for k in ("name", "sku", "color", "image", "gtin", "gtin13", "offers"))


def _entity(node: Mapping[str, Any], source: str, page: PageData, fmap: FieldMap) -> Entity:
    e = Entity(source)
    e.set("name", _text(node.get("name"), page), source)
    e.set("sku", next((_text(node.get(k), page) for k in _ID_PROPS if node.get(k)), None), source)
    gid = node.get("productGroupID") or node.get("inProductGroupWithID")
    e.set("group_id", _text(gid, page), source)
    e.set("brand", _text(node.get("brand") or node.get("manufacturer"), page), source)
    e.set("image", _image(node.get("image"), page), source)
    price, currency = _offer(node.get("offers"), page)
    e.set("price", price, source)
    e.set("currency", currency, source)
    for key in ("@id", "url"):
        if isinstance(node.get(key), str) and not node[key].startswith("_:"):
            e.keys.add(f"{key}:{urljoin(page.url, node[key])}")
    audience = page.deref(node.get("audience"))
    pairs: list[tuple[str, Any]] = [(k, v) for k, v in node.items() if k not in _NOT_ATTRIBUTES]
    if isinstance(audience, dict):
        pairs += [(k, v) for k, v in audience.items() if not k.startswith("@")]
        e.add("age_group", source, _age_of(audience, page))
    for prop in _listify(node.get("additionalProperty")):
        prop = page.deref(prop)
        if isinstance(prop, dict) and (prop.get("name") or prop.get("propertyID")):
            pairs.append((str(prop.get("name") or prop.get("propertyID")), prop.get("value")))
    for key, value in pairs:
        if key.startswith("@"):
            continue
        target = fmap.field_for(key)
        text = _text(value, page, " > " if target == "category" else ", ")
        if not text:
            continue
        if target in MAPPABLE_FIELDS:
            e.add(target, source, text)
        elif target in ("sku", "name", "brand"):
            e.set(target, text, source)
        else:
            e.extra.setdefault(key, text[:300])
    for variant in _listify(node.get("hasVariant")):
        variant = page.deref(variant)
        if _is_product(variant) and _has_substance(variant):
            e.variants.append(_entity(variant, source, page, fmap))
    e.varies_by = {
        str(v).rstrip("/").rsplit("/", 1)[-1].lower() for v in _listify(node.get("variesBy"))
    }
    return e


def _product_nodes(nodes: Iterable[Any], page: PageData) -> Iterator[dict[str, Any]]:
    for node in nodes:
        node = page.deref(node)
        if not isinstance(node, dict):
            continue
        if "@graph" in node:
            yield from _product_nodes(_listify(node["@graph"]), page)
        elif _is_product(node):
            yield node
        elif node.get("mainEntity"):
            yield from _product_nodes(_listify(node["mainEntity"]), page)


def _entities(page: PageData, fmap: FieldMap) -> list[Entity]:
    found = []
    for source, nodes in (("jsonld", page.jsonld), ("microdata", page.microdata),
                          ("rdfa", page.rdfa)):  # fmt: skip
        for node in _product_nodes(nodes, page):
            entity = _entity(node, source, page, fmap)
            group = page.deref(node.get("isVariantOf"))
            if isinstance(group, dict) and not entity.variants:
                parent = _entity({**group, "hasVariant": []}, source, page, fmap)
                parent.set("group_id", entity.group_id, source)
                parent.variants = [entity]
                entity = parent
            found.append(entity)
    return found


def _same_product(a: Entity, b: Entity) -> bool:
    if a.keys & b.keys:
        return True
    na, nb = (" ".join(fold(e.name or "").split()) for e in (a, b))
    return len(na) >= 4 and len(nb) >= 4 and (na in nb or nb in na)


def _merge(entities: list[Entity]) -> list[Entity]:
    """Entities of the same product merged, in the order their first entity appeared."""
    if len(entities) < 2:
        return entities
    merged: list[Entity] = []
    for entity in entities:
        entity.identify()
        match = next((m for m in merged if _same_product(m, entity)), None)
        if match is None:
            merged.append(entity)
        else:
            match.absorb(entity)
    return merged


def _breadcrumbs(page: PageData, name: str | None) -> list[str]:
    trails = []
    for node in page.of_type("BreadcrumbList"):
        items = [page.deref(i) for i in _listify(node.get("itemListElement"))]
        items = sorted(
            (i for i in items if isinstance(i, dict)), key=lambda i: i.get("position", 0)
        )
        trails.append(
            [_text(i.get("name") or page.deref(i.get("item")), page) or "" for i in items]
        )
    trails.append(breadcrumb_trail(page.tree, page.html))
    own = " ".join(fold(name or "").split())
    out = []
    for trail in trails:
        crumbs = [c for c in trail if c and " ".join(fold(c).split()) not in (own, "home", "홈")]
        if crumbs:
            out.append(" > ".join(crumbs))
    return out


def _page_entity(page: PageData, fmap: FieldMap) -> tuple[Entity, bool]:
    """What the page states outside product markup, and whether it states a product at all."""
    e = Entity("opengraph")
    og = {k: v for k, v in page.opengraph.items() if v}
    first = {k: str(v[0]).strip() for k, v in og.items()}
    e.set("name", first.get("og:title"), "opengraph")
    image = first.get("og:image:secure_url") or first.get("og:image")
    e.set("image", urljoin(page.url, image) if image else None, "opengraph")
    for key in ("product:price:amount", "og:price:amount", "product:sale_price:amount"):
        e.set("price", parse_number(first.get(key)), "opengraph")
    for key in ("product:price:currency", "og:price:currency"):
        e.set("currency", first.get(key), "opengraph")
    e.set("sku", first.get("product:retailer_item_id"), "opengraph")
    e.set("brand", first.get("product:brand") or first.get("og:brand"), "opengraph")
    for key, values in og.items():
        if key.startswith("product:"):
            target = fmap.field_for(key.split(":", 1)[1])
            if target in MAPPABLE_FIELDS:
                e.add(target, "opengraph", ", ".join(dict.fromkeys(map(str, values))))
    stated = bool({v.lower() for v in og.get("og:type", [])} & _OG_PRODUCT_TYPES) or any(
        k.startswith("product:") or k == "og:price:amount" for k in og
    )
    printed = ("<tr", "<dt", "<li")  # a page without rows, terms or items has no labels
    labelled = labelled_values(page.tree) if any(t in page.html for t in printed) else ()
    for label, value in labelled:
        target = fmap.field_for(label)
        if target in MAPPABLE_FIELDS:
            e.add(target, "table", value)
        elif target in ("sku", "name", "brand"):
            stated |= target in ("sku", "name")
            e.set(target, value, "table")
        elif target == "price":
            e.set("price", parse_number(value), "table")
    return e, stated


def _located(page: PageData, fmap: FieldMap) -> Entity:
    e = Entity("field_map")
    for name, (selector, attr) in fmap.locators.items():
        elements = selector(page.tree)
        values = [(el.get(attr) if attr else text_of(el)) or "" for el in elements]
        values = [" ".join(v.split()) for v in values if v and v.strip()]
        if not values:
            continue
        if name == "image":
            e.set("image", urljoin(page.url, values[0]), "field_map")
        elif name == "price":
            e.set("price", parse_number(values[0]), "field_map")
        elif name in IDENTITY_FIELDS:
            e.set(name, values[0], "field_map")
        else:
            e.add(name, "field_map", " > ".join(values) if name == "category" else values[0])
    return e


def _colour_options(variant: Entity, group: Entity) -> list[str]:
    """Option values a variant's name adds to its group's ("Coat - Black / M" -> Black, M)."""
    name, base = variant.name or "", group.name or ""
    if base and name.lower().startswith(base.lower()):
        rest = name[len(base) :]
    elif " - " in name:
        rest = name.rsplit(" - ", 1)[-1]
    else:
        return []
    return [o for o in _OPTION_SPLIT.split(rest.strip(" -–")) if o]


def _colour_key(variant: Entity, group: Entity) -> str | None:
    stated = [raw for _, raw in variant.fields.get("color", [])]
    for option in _colour_options(variant, group):
        if read_colour(option):
            variant.add("color", variant.source, option)
            stated.append(option)
    known = [raw for raw in stated if read_colour(raw)]
    chosen = known[0] if known else stated[0] if stated else None
    return " ".join(fold(chosen).split()) if chosen else None


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z\uac00-\ud7a3]+", "-", fold(text)).strip("-")


@dataclass
class _Item:
    parts: list[Entity]
    sku: str | None = None
    name: str | None = None


def _items(product: Entity) -> list[_Item]:
    """One item per colour of a group (all variants of one colour are one item).

    A group that declares `variesBy` color names its items by colour even when a page shows
    one (a variant page); without `variesBy`, a group is split when its variants differ in
    colour; a group that varies by something else (size) is one item.
    """
    if not product.variants:
        return [_Item([product])]
    colours: dict[str | None, list[Entity]] = {}
    for variant in product.variants:
        colours.setdefault(_colour_key(variant, product), []).append(variant)
    by_colour = "color" in product.varies_by or (not product.varies_by and len(colours) > 1)
    if not by_colour:
        return [_Item([*product.variants, product], product.sku or product.group_id, product.name)]
    base = product.group_id or product.sku
    items = []
    for key, variants in colours.items():
        colour = next((raw for _, raw in variants[0].fields.get("color", [])), key) or ""
        name = product.name or variants[0].name or ""
        if colour and fold(colour) not in fold(name):
            name = f"{name} - {colour}"
        sku = f"{base}-{_slug(colour)}" if base and colour else variants[0].sku
        items.append(_Item([*variants, product], sku, name))
    return items


def _record(item: _Item, page_url: str, notes: list[str]) -> dict[str, Any]:
    merged = item.parts[0]
    if len(item.parts) > 1:
        merged = Entity(merged.source)
        for part in item.parts:
            merged.absorb(part)
    provenance = dict(merged.origin)
    if item.sku:
        merged.sku, provenance["sku"] = item.sku, provenance.get("group_id", merged.source)
    if item.name:
        merged.name = item.name
    return {
        "url": page_url,
        "sku": merged.sku,
        "name": merged.name,
        "brand": merged.brand,
        "image_url": merged.image,
        "price": merged.price,
        "currency": merged.currency,
        "fields": {k: [list(c) for c in v] for k, v in merged.fields.items()},
        "extra": merged.extra,
        "provenance": {("image_url" if k == "image" else k): v for k, v in provenance.items()},
        "notes": notes,
    }


@dataclass
class PageExtraction:
    """The product records of one page, and what could not be read."""

    records: list[dict[str, Any]]
    errors: list[str]


def extract_products(page_html: str, page_url: str, fmap: FieldMap) -> PageExtraction:
    """Product records from a page, whatever syntaxes it uses."""
    page = read_page(page_html, page_url)
    products = _merge(_entities(page, fmap))
    located = _located(page, fmap)
    facts, stated = _page_entity(page, fmap)
    if not products and (stated or located.name or located.sku):
        products = [Entity("opengraph")]
    if products:
        main = products[0]
        name = located.name or main.name or facts.name
        for crumbs in _breadcrumbs(page, name):
            facts.add("category", "breadcrumb", crumbs)
        if located.origin or located.fields:
            located.absorb(main)
            located.variants, main = main.variants, located
        main.absorb(facts)
        products[0] = main
    records = [
        _record(item, page_url, page.errors) for product in products for item in _items(product)
    ]
    return PageExtraction(records, page.errors)
