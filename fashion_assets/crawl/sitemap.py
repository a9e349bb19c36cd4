"""sitemap.xml parsing: URL sets and sitemap indexes, plain or gzipped.

A gzipped sitemap is decompressed in bounded steps and refused past `MAX_SITEMAP_BYTES` (the
sitemap protocol's 50 MB limit), so a small gzip bomb cannot expand without limit.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass

MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> of a sitemap."""

    loc: str
    lastmod: str | None = None


def gunzip_capped(data: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress gzip `data`, refusing (ValueError) output over `limit` bytes."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"broken gzip: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise ValueError(f"gzip expands past {limit} bytes (the sitemap limit); refused")
    return out


def parse_sitemap(
    data: bytes, limit: int = MAX_SITEMAP_BYTES
) -> tuple[list[SitemapEntry], list[str]]:
    """The page entries and the child sitemap URLs of one sitemap document.

    Raises ValueError when the document is not a sitemap or expands past `limit` bytes.
    """
    if data[:2] == b"\x1f\x8b":
        data = gunzip_capped(data, limit)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"not a sitemap: {exc}") from exc

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def text(node: ET.Element, name: str) -> str | None:
        for child in node:
            if local(child.tag) == name and child.text:
                return child.text.strip()
        return None

    kind = local(root.tag)
    if kind == "urlset":
        entries = [
            SitemapEntry(loc, text(node, "lastmod"))
            for node in root
            if local(node.tag) == "url" and (loc := text(node, "loc"))
        ]
        return entries, []
    if kind == "sitemapindex":
        return [], [loc for node in root if (loc := text(node, "loc"))]
    raise ValueError(f"not a sitemap: root element <{kind}>")
