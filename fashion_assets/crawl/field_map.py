"""Which of our fields a shop's property or label names, and where a site-specific map finds them.

A field map is a JSON object. A string value renames: the shop's property, `additionalProperty`
name, OpenGraph `product:` key or table label on the left becomes our field on the right. An
object value locates: the key is one of our fields (or `sku`, `name`, `image`, `brand`,
`price`) and the object a CSS selector, with the attribute to read (text when absent):

    {"Composition": "material", "Leg shape": "pant.silhouette",
     "sku": {"css": ".prd-code"}, "image": {"css": "#zoom img", "attr": "src"},
     "category": {"css": ".location a"}}

Located values come first: the person who wrote the map knows the site best.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml.cssselect import CSSSelector, SelectorSyntaxError

from fashion_assets.catalog.vocabulary import SPEC_FIELDS
from fashion_assets.catalog.words import fold

MAPPABLE_FIELDS = (
    "category",
    "color",
    "material",
    "gender",
    "season",
    "elasticity",
    "transparency",
    "isfleece",
    "age_group",
    "specification.metadata",
    *SPEC_FIELDS,
)
IDENTITY_FIELDS = ("sku", "name", "image", "brand", "price")

# fmt: off
_NAMES: dict[str, tuple[str, ...]] = {
    "category": ("category", "카테고리", "상품분류", "분류", "product type", "product_type",
                 "type", "품목", "종류", "article type"),
    "color": ("color", "colour", "색상", "컬러", "칼라", "색", "product color"),
    "material": ("material", "materials", "fiber_composition", "fiber", "fabric", "composition",
                 "소재", "제품소재", "혼용률", "원단", "겉감", "fabric composition"),
    "gender": ("gender", "suggestedgender", "성별", "대상", "department", "target gender",
               "target_gender"),
    "season": ("season", "계절", "시즌", "계절감", "seasons", "착용시기", "착용 시기"),
    "age_group": ("age_group", "age group", "agegroup", "연령", "연령대", "대상연령", "사용연령"),
    "elasticity": ("elasticity", "신축성", "stretch"),
    "transparency": ("transparency", "비침", "비침정도", "sheer", "sheerness"),
    "isfleece": ("isfleece", "기모", "fleece", "안감"),
    "top.length_type": ("top.length_type", "기장", "length", "총기장 구분"),
    "top.sleeve_length_type": ("top.sleeve_length_type", "소매기장", "sleeve length",
                               "소매 기장"),
    "top.neck_color_design": ("top.neck_color_design", "넥라인", "neckline", "collar", "neck"),
    "top.sleeve_design": ("top.sleeve_design", "소매디자인", "sleeve", "sleeve style"),
    "pant.silhouette": ("pant.silhouette", "핏", "fit", "silhouette", "leg style", "leg shape"),
    "skirt.design": ("skirt.design", "스커트라인", "skirt", "skirt style"),
    "specification.metadata": ("specification.metadata", "상세", "details", "detail"),
    "sku": ("sku", "상품코드", "자체상품코드", "품번", "product code", "style no", "style number",
            "item no", "item number", "article number", "retailer_item_id"),
    "name": ("상품명", "제품명", "product name"),
    "brand": ("브랜드", "brand"),
    "price": ("판매가", "가격", "price", "sale price"),
}
# fmt: on
DEFAULT_FIELD_MAP: Mapping[str, str] = {
    name: target for target, names in _NAMES.items() for name in names
}


def label_key(label: object) -> str:
    """A property name or table label as looked up: folded, without markers and colons."""
    text = re.sub(r"[*:：•·\[\]]", " ", fold(label))
    return " ".join(text.split())


class Locator(NamedTuple):
    """Where a site-specific map finds one field: a CSS selector and the attribute to read."""

    selector: CSSSelector
    attr: str | None


@dataclass(frozen=True)
class FieldMap:
    """Property names to our fields, and locators of fields on the page."""

    names: Mapping[str, str]
    locators: Mapping[str, Locator]
    _memo: dict[object, str | None] = field(default_factory=dict, compare=False, repr=False)

    def field_for(self, name: object) -> str | None:
        """Our field for a property name or label, or None."""
        found = self._memo.get(name, self)
        if found is self:
            key = label_key(name)
            # "소재 (Material)": the name before a parenthesis
            found = self.names.get(key) or self.names.get(key.split("(")[0].strip())
            if len(self._memo) < 10_000:  # a site's names repeat page after page
                self._memo[name] = found
        return found  # type: ignore[return-value]

    @classmethod
    def build(cls, site: Mapping[str, object] | None = None) -> FieldMap:
        """The default names with a site-specific map merged over them.

        Raises ValueError naming the entry that targets an unknown field or has a bad selector.
        """
        names = {label_key(k): v for k, v in DEFAULT_FIELD_MAP.items()}
        locators: dict[str, Locator] = {}
        targets = (*MAPPABLE_FIELDS, *IDENTITY_FIELDS)
        for key, value in (site or {}).items():
            if isinstance(value, str):
                if value not in targets:
                    raise ValueError(
                        f"field map entry {key!r} targets unknown field {value!r}; "
                        f"use one of {targets}"
                    )
                names[label_key(key)] = value
            elif isinstance(value, Mapping) and isinstance(value.get("css"), str):
                if key not in targets:
                    raise ValueError(f"field map locator {key!r} is not one of {targets}")
                try:
                    selector = CSSSelector(value["css"])
                except SelectorSyntaxError as exc:
                    raise ValueError(f"field map locator {key!r}: bad CSS selector: {exc}") from exc
                attr = value.get("attr")
                locators[key] = Locator(selector, str(attr) if attr else None)
            else:
                raise ValueError(
                    f"field map entry {key!r}: expected a field name or "
                    '{"css": "selector", "attr": "optional attribute"}'
                )
        return cls(names, locators)
