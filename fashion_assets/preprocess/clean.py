"""From raw records and image rows to validated items and reasoned rejects.

Deterministic: records are processed in URL order, so the first URL of a product wins and its
other URLs are rejected as duplicates, whatever order the crawl finished in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from fashion_assets.catalog import Item, ReinforcedFeatures, normalize, parse_fibers
from fashion_assets.catalog.vocabulary import FIELD_SCOPE
from fashion_assets.crawl.crawler import PAGE_FAILURES
from fashion_assets.crawl.images import IMAGE_FAILURES

ITEM_FAILURES = ("missing_field", "unknown_category", "invalid_value", "duplicate")
#: Every reason a reject may carry.
REJECT_REASONS = (*PAGE_FAILURES, *IMAGE_FAILURES, *ITEM_FAILURES)
_REQUIRED = ("gender", "season", "color")
_OPTIONAL = ("elasticity", "transparency", "isfleece")


class Rejected(Exception):
    """A record that cannot become an item, with its reason."""

    def __init__(self, reason: str, detail: str):
        assert reason in REJECT_REASONS, reason
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _parent_segment(path: str) -> str:
    """'여성 > 아우터 > 코트' -> '아우터': the site's own word for the garment group."""
    segments = [s.strip() for s in path.split(">") if s.strip()]
    return segments[-2] if len(segments) >= 2 else ""


def _item(source: str, record: Mapping[str, Any]) -> Item:
    for key in ("sku", "name", "image_url"):
        if not record.get(key):
            raise Rejected("missing_field", f"no {key}")
    fields: Mapping[str, str] = record.get("fields") or {}
    raw_category = fields.get("category")
    if not raw_category:
        raise Rejected("missing_field", "no category")
    category = normalize("category", raw_category)
    if category is None:
        raise Rejected("unknown_category", f"category {raw_category!r} is outside the vocabulary")
    values: dict[str, Any] = {}
    for name in _REQUIRED:
        if not fields.get(name):
            raise Rejected("missing_field", f"no {name}")
    for name in (*_REQUIRED, *_OPTIONAL):
        if fields.get(name):
            value = normalize(name, fields[name])
            if value is None:
                raise Rejected("invalid_value", f"{name} {fields[name]!r} is not in the vocabulary")
            values[name] = value
    specs = {}
    for name, scope in FIELD_SCOPE.items():
        if fields.get(name) and category in scope:
            value = normalize(name, fields[name])
            if value is None:
                raise Rejected("invalid_value", f"{name} {fields[name]!r} is not in the vocabulary")
            specs[name] = value
    fibers: tuple[str, ...] = ()
    if fields.get("material"):
        fibers, _unknown = parse_fibers(fields["material"])
        if not fibers:
            raise Rejected("invalid_value", f"material {fields['material']!r} names no known fibre")
    reinforced = ReinforcedFeatures(
        category=raw_category,
        fiber_composition=fields.get("material", ""),
        color=fields.get("color", ""),
        category_specification=_parent_segment(raw_category),
        specification_metadata=fields.get("specification.metadata", ""),
    )
    try:
        return Item(
            item_id=f"{source}:{record['sku']}",
            source=source,
            sku=str(record["sku"]),
            url=record["url"],
            title=" ".join(str(record["name"]).split()),
            brand=record.get("brand"),
            price=record.get("price"),
            currency=record.get("currency"),
            category=category,
            fiber_composition=fibers,
            specs=specs,
            reinforced=reinforced,
            image_url=record["image_url"],
            **values,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Rejected(
            "invalid_value", f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from exc


def clean(
    source: str,
    records: Iterable[Mapping[str, Any]],
    images: Mapping[str, Mapping[str, Any]],
    failures: Iterable[Mapping[str, str]] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Validated item rows (Item fields + image columns + content hash) and reject rows.

    `images` maps image URL to its row from `fetch_images`; `failures` are crawl failures,
    carried into the rejects unchanged.
    """
    rejects: list[dict[str, Any]] = [
        {
            "url": f["url"],
            "reason": f["reason"],
            "source": source,
            "item_id": None,
            "detail": f["detail"],
        }
        for f in failures
    ]
    items: list[dict[str, Any]] = []
    by_id: dict[str, str] = {}
    by_look: dict[tuple[str, str], str] = {}
    for record in sorted(records, key=lambda r: (r["url"], str(r.get("sku")))):
        item_id = f"{source}:{record.get('sku')}" if record.get("sku") else None
        try:
            item = _item(source, record)
            image = images.get(item.image_url) or {
                "status": "missing_image",
                "detail": "not fetched",
            }
            if image["status"] != "ok":
                raise Rejected(image["status"], f"{item.image_url}: {image.get('detail', '')}")
            if item.item_id in by_id:
                raise Rejected("duplicate", f"same sku as {by_id[item.item_id]}")
            look = (image["sha256"], item.title.lower())
            if look in by_look:
                raise Rejected("duplicate", f"same image and title as {by_look[look]}")
        except Rejected as r:
            rejects.append(
                {
                    "url": record["url"],
                    "reason": r.reason,
                    "source": source,
                    "item_id": item_id,
                    "detail": r.detail[:500],
                }
            )
            continue
        by_id[item.item_id] = item.url
        by_look[look] = item.url
        row = item.model_dump(mode="json", by_alias=True)
        row.update(
            image_key=image["image_key"],
            image_sha256=image["sha256"],
            image_width=image["width"],
            image_height=image["height"],
            image_phash=image["phash"],
            content_hash=item.content_hash(image["sha256"]),
        )
        items.append(row)
    return items, rejects
