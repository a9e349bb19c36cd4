"""Every kind of structured data a product page carries, read with extruct into one shape.

JSON-LD (each block on its own, tolerant of trailing commas, comments, control characters and
HTML-escaped JSON), microdata and RDFa become JSON-LD-like dicts ("@type", "@id", property ->
value); OpenGraph (`og:` and `product:` meta) becomes a dict of property -> values. Strings have
their HTML entities decoded. Syntaxes a page does not use are not parsed at all, so a plain
JSON-LD page costs one lxml parse.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

import extruct
import jstyleson
import lxml.etree
import lxml.html
from extruct.utils import parse_xmldom_html

_JSONLD = "//script[@type='application/ld+json' or @type='application/ld+json;charset=utf-8']"
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_SCHEMA = re.compile(r"^https?://schema\.org/")


@dataclass
class PageData:
    """The structured data of one page."""

    tree: lxml.html.HtmlElement
    url: str
    html: str = ""
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    microdata: list[dict[str, Any]] = field(default_factory=list)
    rdfa: list[dict[str, Any]] = field(default_factory=list)
    opengraph: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @cached_property
    def ids(self) -> dict[str, dict[str, Any]]:
        """Nodes that define an @id (absolute), for references to them."""
        return {
            urljoin(self.url, str(node["@id"])): node
            for node in reversed(self.nodes)
            if "@id" in node and len(node.keys() - {"@id", "@type", "@context"}) > 0
        }

    @cached_property
    def nodes(self) -> list[dict[str, Any]]:
        """Every node of every syntax, nested ones included, in document order."""
        return list(_walk([self.jsonld, self.microdata, self.rdfa]))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """The nodes whose @type is `kind` (schema.org short name)."""
        if kind not in self.html:
            return []
        return [n for n in self.nodes if kind in types_of(n)]

    def deref(self, value: Any) -> Any:
        """A node for a reference ({"@id": ...} alone), or the value itself."""
        if isinstance(value, dict) and "@id" in value and len(value.keys() - {"@type"}) == 1:
            return self.ids.get(urljoin(self.url, str(value["@id"])), value)
        return value


def types_of(node: dict[str, Any]) -> set[str]:
    """A node's @type values as schema.org short names ("http://schema.org/Product" -> Product)."""
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    return {str(t).rstrip("/").rsplit("/", 1)[-1] for t in kinds}


def unescape(value: Any) -> Any:
    """`value` with HTML entities decoded in every string ("Men&#39;s" -> "Men's")."""
    if isinstance(value, str):
        return html.unescape(value) if "&" in value else value
    if isinstance(value, list):
        return [unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    return value


def load_jsonld(text: str) -> Any:
    """Parse one JSON-LD block as browsers and Google tolerate it; ValueError if hopeless."""
    text = text.strip()
    if not (text[:1] in "{[" and text[-1:] in "}]"):
        text = _WRAPPERS.sub("", text).strip()
    errors = []
    for candidate in (text, html.unescape(text)) if "&quot;" in text else (text,):
        try:
            return json.loads(candidate, strict=False)
        except ValueError as exc:
            errors.append(exc)
        try:
            return jstyleson.loads(candidate, strict=False)
        except (ValueError, IndexError) as exc:
            errors.append(exc)
    raise ValueError(str(errors[0]))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for n in node:
            yield from _walk(n)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _walk(value)


def _compact_rdfa(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Expanded RDFa JSON-LD ("http://schema.org/name": [{"@value": ...}]) -> compact dicts."""

    def value(v: dict[str, Any]) -> Any:
        return v.get("@value", {"@id": v["@id"]} if "@id" in v else None)

    out = []
    for node in nodes:
        compact: dict[str, Any] = {"@id": node.get("@id", "")}
        types = [_SCHEMA.sub("", t) for t in node.get("@type", [])]
        if types:
            compact["@type"] = types
        for key, values in node.items():
            if _SCHEMA.match(key):
                vals = [value(v) for v in values if isinstance(v, dict)]
                compact[_SCHEMA.sub("", key)] = vals[0] if len(vals) == 1 else vals
        out.append(compact)
    return out


def parse_html(page_html: str) -> lxml.html.HtmlElement:
    """An lxml tree of a page (an empty document for an empty or unparsable page)."""
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.fromstring(page_html.encode("utf-8", "replace"), parser=parser)
    except lxml.etree.ParserError:
        return lxml.html.fromstring(b"<html></html>", parser=parser)


def read_page(page_html: str, url: str) -> PageData:
    """Parse a page once and read every syntax it uses."""
    tree = parse_html(page_html)
    page = PageData(tree, url, page_html)
    for i, script in enumerate(tree.xpath(_JSONLD)):
        text = script.text_content()
        if not text.strip():
            continue
        try:
            data = load_jsonld(text)
            data = unescape(data) if "&" in text else data
        except ValueError as exc:
            page.errors.append(f"JSON-LD block {i}: {exc}")
            continue
        page.jsonld.extend(d for d in (data if isinstance(data, list) else [data]) if d)
    syntaxes = []
    if "itemscope" in page_html:
        syntaxes.append("microdata")
    if "og:" in page_html or "product:" in page_html:
        syntaxes.append("opengraph")
    if syntaxes:
        found = extruct.extract(
            tree, base_url=url, syntaxes=syntaxes, uniform=True, with_og_array=True, errors="log"
        )
        page.microdata = unescape(found.get("microdata", []))
        for og in found.get("opengraph", []):
            for key, values in unescape(og).items():
                if not key.startswith("@"):
                    page.opengraph.setdefault(key, []).extend(
                        values if isinstance(values, list) else [values]
                    )
            if og.get("@type"):
                page.opengraph.setdefault("og:type", []).append(str(og["@type"]))
    if "typeof=" in page_html:
        rdfa = extruct.extract(
            parse_xmldom_html(page_html.encode("utf-8", "replace"), encoding="utf-8"),
            base_url=url,
            syntaxes=["rdfa"],
            errors="log",
        )
        page.rdfa = unescape(_compact_rdfa(rdfa.get("rdfa", [])))
    return page
