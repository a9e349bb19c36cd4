"""Catalogue reads for the services: item details and search results with image links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from fashion_assets.db.vectors import TARGETS
from fashion_assets.db.vectors import Hit as CoreHit

from .schemas import Hit

ITEM_FIELDS = ("item_id", "title", "brand", "price", "currency", "url", "category",
               "category_specification", "gender", "age_group", "season", "color",
               "fiber_composition",
               "elasticity", "transparency", "isfleece", "specs", "image_key")  # fmt: skip


def image_url(image_key: str) -> str:
    """Where the services serve an item's image."""
    return f"/images/{image_key}"


def item_details(conn: psycopg.Connection, item_id: str) -> dict[str, Any] | None:
    """One item's stored attributes (None when unknown)."""
    row = conn.execute(
        f"SELECT {', '.join(ITEM_FIELDS)} FROM items WHERE item_id = %s", (item_id,)
    ).fetchone()
    if row is None:
        return None
    item = dict(zip(ITEM_FIELDS, row, strict=True))
    item["price"] = float(item["price"]) if item["price"] is not None else None
    item["image_url"] = image_url(item["image_key"])
    return item


def with_images(hits: Sequence[CoreHit]) -> list[Hit]:
    """Search hits with their image links (the search joined their image keys)."""
    return [
        Hit(**{f: getattr(h, f) for f in Hit.model_fields if f != "image_url"},
            image_url=image_url(h.image_key))
        for h in hits
    ]  # fmt: skip


def table_version(conn: psycopg.Connection, vectors: str, against: str = "image") -> str | None:
    """The model version the table behind a search holds (None before it is built)."""
    name = TARGETS["tower" if vectors == "tower" else against][0]
    row = conn.execute(
        "SELECT model_version FROM vector_tables WHERE name = %s", (name,)
    ).fetchone()
    return row[0] if row else None
