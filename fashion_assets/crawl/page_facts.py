"""What shops state outside structured data: breadcrumb trails and labelled attribute tables.

Korean shops (Cafe24, Godomall) print their facts in tables: 상품정보제공고시 rows ("제품소재",
"색상"), option grids where the chosen cell is marked ("계절감: 봄 [가을] 겨울"), and the
category as a breadcrumb trail ("홈 > OUTER"). WooCommerce and Magento print "Additional
information" tables; themes print "Label: value" lists. Hidden elements (Cafe24's
`displaynone`, `display:none`, `hidden`) are skipped: skins keep template placeholders in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

_HIDDEN = {"displaynone", "d-none", "hidden", "hide", "is-hidden"}
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_MARKED = {"on", "active", "selected", "checked", "check", "chk", "is-active", "current"}
_MARKS = ("●", "■", "◉", "✓", "✔", "√", "☑", "▣", "(v)", "[v]")
_CRUMB_SPLIT = re.compile(r"\s*(?:>|/|›|»|→|\|)\s*")
_HOME = {"home", "홈", "main", "메인", "shop", "쇼핑몰", "홈으로", "현재 위치", "현재위치"}
_BREADCRUMBS = (
    "//*[contains(@class, 'breadcrumb') or contains(@id, 'breadcrumb') "
    "or contains(@class, 'headcategory') or contains(@aria-label, 'readcrumb') "
    "or contains(@class, 'breadcrumbs')]"
)
_LABEL_MAX = 40


def _self_hidden(el: HtmlElement) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    return bool(_HIDDEN & _classes(el)) or bool(_DISPLAY_NONE.search(el.get("style", "")))


def _classes(el: HtmlElement) -> set[str]:
    return set(el.get("class", "").lower().split())


def hidden(el: HtmlElement) -> bool:
    """Whether `el` or an ancestor is hidden by class, style or attribute."""
    return any(_self_hidden(node) for node in (el, *el.iterancestors()))


def _visible(el: HtmlElement, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        element = isinstance(child.tag, str) and child.tag not in ("script", "style")
        if element and not _self_hidden(child):
            _visible(child, parts)
        if child.tail:
            parts.append(child.tail)


def text_of(el: HtmlElement) -> str:
    """The visible text inside an element, whitespace collapsed."""
    parts: list[str] = []
    _visible(el, parts)
    return " ".join(" ".join(parts).split())


def _marked(cell: HtmlElement) -> bool:
    elements = (el for el in cell.iter() if isinstance(el.tag, str))
    if any(_MARKED & _classes(el) for el in elements) or cell.xpath(".//input[@checked]"):
        return True
    text = cell.text_content()
    return any(mark in text for mark in _MARKS)


def _clean_value(text: str) -> str:
    for mark in _MARKS:
        text = text.replace(mark, "")
    return " ".join(text.split())


def _row_value(cells: list[HtmlElement]) -> str | None:
    if len(cells) == 1:
        return text_of(cells[0]) or None
    marked = [_clean_value(text_of(c)) for c in cells if _marked(c)]
    return ", ".join(m for m in marked if m) or None


def labelled_values(tree: HtmlElement) -> Iterator[tuple[str, str]]:
    """(label, value) pairs the page prints, in document order.

    Table rows with a header cell (or a short first cell) and one value cell, or a grid of
    option cells of which the marked ones are taken; definition lists; "Label: value" list items.
    """
    for row in tree.xpath("//tr"):
        if hidden(row):
            continue
        heads = row.xpath("./th")
        cells = row.xpath("./td")
        if heads and cells:
            label = text_of(heads[0])
        elif len(cells) >= 2:
            label, cells = text_of(cells[0]), cells[1:]
        else:
            continue
        value = _row_value(cells)
        if label and value and len(label) <= _LABEL_MAX:
            yield label, value
    for term in tree.xpath("//dl/dt"):
        definition = term.getnext()
        if definition is not None and definition.tag == "dd" and not hidden(term):
            label, value = text_of(term), text_of(definition)
            if label and value and len(label) <= _LABEL_MAX:
                yield label, value
    for item in tree.xpath("//li[contains(., ':')]"):
        if item.xpath(".//li | .//tr") or hidden(item):
            continue
        label, _, value = text_of(item).partition(":")
        if label.strip() and value.strip() and len(label) <= _LABEL_MAX:
            yield label.strip(), value.strip()


def breadcrumb_trail(tree: HtmlElement, html: str | None = None) -> list[str]:
    """The visible breadcrumb trail of the page (home crumb dropped), or [].

    `html`, the page's text when at hand, lets a page without any trail skip the search."""
    if html is not None and "readcrumb" not in html and "headcategory" not in html:
        return []
    for el in tree.xpath(_BREADCRUMBS):
        if hidden(el) or el.xpath("ancestor::*[contains(@class, 'breadcrumb')]"):
            continue
        items = [li for li in el.xpath(".//li") if not hidden(li)]
        crumbs = [text_of(li) for li in items] if items else _CRUMB_SPLIT.split(text_of(el))
        crumbs = [c for c in (c.strip() for c in crumbs) if c and c.lower() not in _HOME]
        if crumbs:
            return crumbs
    return []
