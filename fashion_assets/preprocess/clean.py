"""From raw records and image rows to validated items and reasoned rejects.

Deterministic: records are processed in URL order, so the first URL of a product wins and its
other URLs are rejected as duplicates, whatever order the crawl finished in. The same image
bytes are one item whatever the titles say (`clean`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fashion_assets.catalog import Item, ReinforcedFeatures, normalize, parse_fibers
from fashion_assets.catalog.garments import category_in_title, read_category
from fashion_assets.catalog.normalize import in_title
from fashion_assets.catalog.vocabulary import FIELD_SCOPE
from fashion_assets.crawl.crawler import PAGE_FAILURES
from fashion_assets.crawl.images import IMAGE_FAILURES

ITEM_FAILURES = (
    "missing_field",
    "unknown_category",
    "invalid_value",
    "duplicate",
    "conflicting_duplicate",
)
#: Every reason a reject may carry.
REJECT_REASONS = (*PAGE_FAILURES, *IMAGE_FAILURES, *ITEM_FAILURES)
_REQUIRED = ("gender", "season", "color")
_OPTIONAL = ("elasticity", "transparency", "isfleece")
Candidates = Sequence[Sequence[str]]


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


def _category(candidates: Candidates, title: str) -> tuple[str, str, str]:
    """(category, source, the text that stated it), most trusted source first, then the title."""
    for source, raw in [*candidates, ("title", title)]:
        reading = category_in_title(raw) if source == "title" else read_category(raw)
        if reading.kind == "garment" and reading.category:
            return reading.category, source, raw
        if reading.kind == "not_apparel":
            raise Rejected("unknown_category", f"{raw!r} is not apparel ({reading.word!r})")
    if not candidates:
        raise Rejected("missing_field", "no category (and the title names no garment)")
    stated = "; ".join(repr(raw) for _, raw in candidates)
    raise Rejected(
        "unknown_category",
        f"category {stated} names no garment of the vocabulary, nor does the title",
    )


def _required(name: str, candidates: Candidates, title: str) -> tuple[str, str, str]:
    for source, raw in candidates:
        value = normalize(name, raw)
        if value:
            return value, source, raw
    value = in_title(name, title)
    if value:
        return value, "title", title
    if not candidates:
        raise Rejected("missing_field", f"no {name}")
    raw = candidates[0][1]
    hint = " (several values: one item has one)" if "," in raw else ""
    raise Rejected("invalid_value", f"{name} {raw!r} is not in the vocabulary{hint}")


def _age_group(fields: Mapping[str, Candidates], title: str) -> tuple[str, str]:
    """What an age field says; else kids when a gender ("Boys", "여아") or a title word ("Kids",
    "키즈") says so (a shop's "Women" says the gender, not the age); else adult."""
    for source, raw in fields.get("age_group", []):
        found = normalize("age_group", raw)
        if found:
            return found, source
    for source, raw in fields.get("gender", []):
        if normalize("age_group", raw) == "kids":
            return "kids", source
    return ("kids", "title") if in_title("age_group", title) else ("adult", "default")


def _optional(name: str, candidates: Candidates, warnings: list[str]) -> tuple[str, str] | None:
    for source, raw in candidates:
        value = normalize(name, raw)
        if value:
            return value, source
    if candidates:
        warnings.append(f"{name} {candidates[0][1]!r} not understood; left empty")
    return None


def _fibers(candidates: Candidates, warnings: list[str]) -> tuple[tuple[str, ...], str, str]:
    for source, raw in candidates:
        fibers, unknown = parse_fibers(raw)
        if fibers:
            if unknown:
                warnings.append(f"material parts {unknown} name no known fibre")
            return fibers, source, raw
    if candidates:
        warnings.append(f"material {candidates[0][1]!r} names no known fibre; left empty")
    return (), "", candidates[0][1] if candidates else ""


def _item(source: str, record: Mapping[str, Any]) -> tuple[Item, dict[str, str], list[str]]:
    for key in ("sku", "name", "image_url"):
        if not record.get(key):
            raise Rejected("missing_field", f"no {key}")
    fields: Mapping[str, Candidates] = record.get("fields") or {}
    title = " ".join(str(record["name"]).split())
    provenance = dict(record.get("provenance") or {})
    notes = record.get("notes")  # a list, or an array once it went through parquet
    warnings = [str(n) for n in notes] if notes is not None else []
    category, provenance["category"], raw_category = _category(fields.get("category", []), title)
    values: dict[str, Any] = {}
    raws: dict[str, str] = {}
    for name in _REQUIRED:
        values[name], provenance[name], raws[name] = _required(name, fields.get(name, []), title)
    values["age_group"], provenance["age_group"] = _age_group(fields, title)
    for name in _OPTIONAL:
        found = _optional(name, fields.get(name, []), warnings)
        if found:
            values[name], provenance[name] = found
    specs = {}
    for name, scope in FIELD_SCOPE.items():
        if category in scope:
            found = _optional(name, fields.get(name, []), warnings)
            if found:
                specs[name], provenance[name] = found
    fibers, fiber_source, material = _fibers(fields.get("material", []), warnings)
    if fibers:
        provenance["fiber_composition"] = fiber_source
    metadata = fields.get("specification.metadata", [])
    reinforced = ReinforcedFeatures(
        category=raw_category,
        fiber_composition=material,
        color=raws["color"],
        category_specification=_parent_segment(raw_category),
        specification_metadata=metadata[0][1] if metadata else "",
    )
    try:
        item = Item(
            item_id=f"{source}:{record['sku']}",
            source=source,
            sku=str(record["sku"]),
            url=record["url"],
            title=title,
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
    return item, provenance, warnings


@dataclass
class _Kept:
    item: Item
    where: str
    image: Mapping[str, Any]
    provenance: dict[str, str]
    warnings: list[str]

    def truth(self) -> dict[str, object]:
        """What the item says its photo shows and is: every attribute and the age group."""
        return {**self.item.attributes(), "age_group": self.item.age_group}

    def row(self) -> dict[str, Any]:
        row = self.item.model_dump(mode="json", by_alias=True)
        row.update(
            image_key=self.image["image_key"],
            image_sha256=self.image["sha256"],
            image_width=self.image["width"],
            image_height=self.image["height"],
            image_phash=self.image["phash"],
            content_hash=self.item.content_hash(self.image["sha256"]),
            provenance=self.provenance,
            warnings=self.warnings,
        )
        return row


def _disagreement(copies: Sequence[_Kept]) -> str:
    truths = [c.truth() for c in copies]
    fields = sorted({f for t in truths for f in t if len({str(u.get(f)) for u in truths}) > 1})
    return "; ".join(
        f"{f}: "
        + " vs ".join(f"{t.get(f)} ({c.item.item_id})" for c, t in zip(copies, truths, strict=True))
        for f in fields
    )


def clean(
    source: str,
    records: Iterable[Mapping[str, Any]],
    images: Mapping[str, Mapping[str, Any]],
    failures: Iterable[Mapping[str, str]] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Validated item rows (Item fields + image columns + content hash) and reject rows.

    `images` maps image URL to its row from `fetch_images`; `failures` are crawl failures,
    carried into the rejects unchanged. One photo is one item: copies of the same image bytes
    that agree are duplicates of the first, copies that disagree on any attribute are all
    rejected as `conflicting_duplicate` (nobody can tell which one the photo shows).
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

    def reject(where: str, item_id: str | None, reason: str, detail: str) -> None:
        rejects.append({"url": where, "reason": reason, "source": source, "item_id": item_id,
                        "detail": detail[:500]})  # fmt: skip

    by_id: dict[str, str] = {}
    by_image: dict[str, list[_Kept]] = {}
    records = sorted(records, key=lambda r: (r["url"], str(r.get("sku"))))
    per_page = Counter(r["url"] for r in records)
    for record in records:
        item_id = f"{source}:{record.get('sku')}" if record.get("sku") else None
        # a page with several products (colour variants) keeps one reject row per product
        where = record["url"] + (f"#sku={record.get('sku')}" if per_page[record["url"]] > 1 else "")
        try:
            item, provenance, warnings = _item(source, record)
            image = images.get(item.image_url) or {
                "status": "missing_image",
                "detail": "not fetched",
            }
            if image["status"] != "ok":
                raise Rejected(image["status"], f"{item.image_url}: {image.get('detail', '')}")
            if item.item_id in by_id:
                raise Rejected("duplicate", f"same sku as {by_id[item.item_id]}")
        except Rejected as r:
            reject(where, item_id, r.reason, r.detail)
            continue
        by_id[item.item_id] = item.url
        by_image.setdefault(image["sha256"], []).append(
            _Kept(item, where, image, provenance, warnings)
        )
    items: list[dict[str, Any]] = []
    for copies in by_image.values():
        first = copies[0]
        if len({json.dumps(c.truth(), sort_keys=True) for c in copies}) > 1:
            detail = f"one photo, {len(copies)} items that disagree: {_disagreement(copies)}"
            for c in copies:
                reject(c.where, c.item.item_id, "conflicting_duplicate", detail)
            continue
        items.append(first.row())
        for c in copies[1:]:
            reject(c.where, c.item.item_id, "duplicate", f"same image as {first.item.url}")
    return items, rejects
