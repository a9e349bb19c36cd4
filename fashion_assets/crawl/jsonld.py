"""schema.org `Product` JSON-LD: extraction from HTML and mapping onto our raw fields.

A site-specific field mapping is a dict from a property name the site uses (an
`additionalProperty` name or a top-level JSON-LD key) to one of `MAPPABLE_FIELDS`; it is merged
over `DEFAULT_FIELD_MAP`. See the README section "Pointing it at a real site".
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from fashion_assets.catalog.vocabulary import SPEC_FIELDS

MAPPABLE_FIELDS = (
    "category",
    "color",
    "material",
    "gender",
    "season",
    "elasticity",
    "transparency",
    "isfleece",
    "specification.metadata",
    *SPEC_FIELDS,
)

DEFAULT_FIELD_MAP: Mapping[str, str] = {
    **{f: f for f in MAPPABLE_FIELDS},
    "fiber_composition": "material",
    "fiber": "material",
    "fabric": "material",
    "소재": "material",
    "혼용률": "material",
    "성별": "gender",
    "suggestedgender": "gender",
    "계절": "season",
    "시즌": "season",
    "신축성": "elasticity",
    "stretch": "elasticity",
    "비침": "transparency",
    "비침정도": "transparency",
    "sheer": "transparency",
    "기모": "isfleece",
    "fleece": "isfleece",
    "기장": "top.length_type",
    "length": "top.length_type",
    "소매기장": "top.sleeve_length_type",
    "sleeve length": "top.sleeve_length_type",
    "넥라인": "top.neck_color_design",
    "neckline": "top.neck_color_design",
    "collar": "top.neck_color_design",
    "소매디자인": "top.sleeve_design",
    "sleeve": "top.sleeve_design",
    "핏": "pant.silhouette",
    "fit": "pant.silhouette",
    "silhouette": "pant.silhouette",
    "스커트라인": "skirt.design",
    "skirt": "skirt.design",
    "상세": "specification.metadata",
    "details": "specification.metadata",
    "색상": "color",
    "카테고리": "category",
}


class _ScriptCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and (dict(attrs).get("type") or "").lower() == "application/ld+json":
            self._inside = True
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.blocks[-1] += data


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for n in node:
            yield from _walk(n)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"])


def _is_product(node: Mapping[str, Any]) -> bool:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(str(k).rsplit("/", 1)[-1] in ("Product", "ProductGroup") for k in kinds if k)


def extract_products(html: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The Product objects in a page's JSON-LD blocks, and a message per broken block."""
    collector = _ScriptCollector()
    collector.feed(html)
    collector.close()
    products, errors = [], []
    for i, block in enumerate(collector.blocks):
        try:
            data = json.loads(block)
        except json.JSONDecodeError as exc:
            errors.append(f"JSON-LD block {i}: {exc}")
            continue
        products.extend(n for n in _walk(data) if _is_product(n))
    return products, errors


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("url") or value.get("contentUrl"))
    if isinstance(value, list):
        return _text(value[0]) if value else None
    text = str(value).strip()
    return text or None


def _offer(offers: Any) -> tuple[float | None, str | None]:
    offer = offers[0] if isinstance(offers, list) and offers else offers
    if not isinstance(offer, dict):
        return None, None
    raw = offer.get("price", offer.get("lowPrice"))
    try:
        price = float(str(raw).replace(",", "")) if raw is not None else None
    except ValueError:
        price = None
    return price, _text(offer.get("priceCurrency"))


def map_product(
    product: Mapping[str, Any], page_url: str, field_map: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A raw record from one Product: identity, offer, image and the mapped attribute fields.

    Attribute values stay as the site wrote them; `catalog.normalize` maps them later.
    """
    fmap = {k.lower(): v for k, v in {**DEFAULT_FIELD_MAP, **(field_map or {})}.items()}
    unknown = set(fmap.values()) - set(MAPPABLE_FIELDS)
    if unknown:
        raise ValueError(
            f"field map targets unknown fields {sorted(unknown)}; use {MAPPABLE_FIELDS}"
        )
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    audience = product.get("audience")
    if isinstance(audience, dict) and audience.get("suggestedGender"):
        fields["gender"] = str(audience["suggestedGender"])
    candidates = [(k, v) for k, v in product.items() if not k.startswith("@")]
    for prop in product.get("additionalProperty") or []:
        if isinstance(prop, dict) and prop.get("name") is not None:
            candidates.append((str(prop["name"]), prop.get("value")))
    for name, value in candidates:
        target = fmap.get(name.strip().lower())
        text = _text(value)
        if target and text is not None:
            fields.setdefault(target, text)
        elif text is not None and name not in _IDENTITY_KEYS:
            extra[name] = text
    price, currency = _offer(product.get("offers"))
    sku = _text(product.get("sku") or product.get("productID") or product.get("mpn"))
    return {
        "url": page_url,
        "sku": sku,
        "name": _text(product.get("name")),
        "brand": _text(product.get("brand")),
        "image_url": _absolute(_text(product.get("image")), page_url),
        "price": price,
        "currency": currency,
        "fields": fields,
        "extra": extra,
    }


_IDENTITY_KEYS = {
    "name",
    "sku",
    "productID",
    "mpn",
    "brand",
    "image",
    "offers",
    "additionalProperty",
    "audience",
    "description",
    "url",
}


def _absolute(url: str | None, base: str) -> str | None:
    return urljoin(base, url) if url else None
