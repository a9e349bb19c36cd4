"""A catalog folder in the layout of Kaggle's "Fashion Product Images" data set.

`styles.csv` (id, gender, masterCategory, subCategory, articleType, baseColour, season, year,
usage, productDisplayName) and `images/<id>.jpg`. Product names may contain unquoted commas
(as in the original file): extra cells are joined back into the name. Rows that cannot be read
are failures with reason `malformed_row`.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from fashion_assets.crawl.crawler import CrawlResult

COLUMNS = (
    "id",
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "baseColour",
    "season",
    "year",
    "usage",
    "productDisplayName",
)


class CatalogFolderError(ValueError):
    """The folder is not a catalog folder."""


def read_catalog_folder(folder: str | Path) -> CrawlResult:
    """Records (in the crawler's record shape) for every row of `styles.csv`."""
    folder = Path(folder).expanduser().resolve()
    styles = folder / "styles.csv"
    if not styles.is_file():
        raise CatalogFolderError(
            f"{styles} not found: a catalog folder holds styles.csv and images/<id>.jpg "
            "(set the crawl source's `catalog_folder`)"
        )
    result = CrawlResult()
    with styles.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise CatalogFolderError(f"{styles} lacks columns {missing}; expected {COLUMNS}")
        width = len(header)
        name_at = header.index("productDisplayName")
        for line_no, cells in enumerate(reader, start=2):
            where = f"{styles.as_uri()}#line={line_no}"
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > width and name_at == width - 1:
                cells = [*cells[: width - 1], ",".join(cells[width - 1 :])]
            if len(cells) != width:
                result.fail_row(where, f"{len(cells)} cells, expected {width}")
                continue
            row = dict(zip(header, (c.strip() for c in cells), strict=True))
            if not row["id"]:
                result.fail_row(where, "empty id")
                continue
            result.records.append(_record(folder, row))
    result.stats.update(
        rows=len(result.records) + len(result.failures),
        products=len(result.records),
        failed_rows=len(result.failures),
    )
    return result


def _record(folder: Path, row: dict[str, str]) -> dict[str, Any]:
    image = folder / "images" / f"{row['id']}.jpg"
    return {
        "url": f"{(folder / 'styles.csv').as_uri()}#id={row['id']}",
        "sku": row["id"],
        "name": row["productDisplayName"] or None,
        "brand": None,
        "image_url": image.as_uri(),
        "price": None,
        "currency": None,
        # articleType decides the category ("Topwear" is never guessed from); when it names no
        # garment of the vocabulary ("Tops"), a title that does ("... Tshirt") may
        "fields": {
            k: [["catalog", v]]
            for k, v in {
                "gender": row["gender"],
                "category": row["articleType"],
                "color": row["baseColour"],
                "season": row["season"],
            }.items()
            if v
        },
        "provenance": {"sku": "catalog", "name": "catalog", "image_url": "catalog"},
        "extra": {k: row[k] for k in ("masterCategory", "subCategory", "year", "usage") if row[k]},
    }
