"""sitemap.xml parsing: URL sets and sitemap indexes, plain or gzipped."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> of a sitemap."""

    loc: str
    lastmod: str | None = None


def parse_sitemap(data: bytes) -> tuple[list[SitemapEntry], list[str]]:
    """The page entries and the child sitemap URLs of one sitemap document.

    Raises ValueError when the document is not a sitemap.
    """
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
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
