"""The `Item` model: one garment, validated against the vocabulary."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from fashion_assets.catalog.vocabulary import (
    CLOTHES,
    FIELD_SCOPE,
    SPEC_FIELDS,
    category_specification_of,
    values_of,
)


def _in(field: str):
    allowed = values_of(field)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{field} {value!r} is not in the vocabulary")
        return value

    return AfterValidator(check)


Category = Annotated[str, _in("category")]
Gender = Annotated[str, _in("gender")]
Season = Annotated[str, _in("season")]
Color = Annotated[str, _in("color")]
Fiber = Annotated[str, _in("fiber_composition")]
Degree = Annotated[str, _in("elasticity")]
Fleece = Annotated[str, _in("isfleece")]
AgeGroup = Annotated[str, _in("age_group")]


STD_FIELDS = (
    "category", "category_specification", "gender", "season", "color", "fiber_composition",
    "elasticity", "transparency", "isfleece",
)  # fmt: skip


def std_attributes(row: Mapping[str, Any]) -> dict[str, object]:
    """The standard attributes of an item row (an `Item` dump or a table row) as a flat dict:
    STD fields that are set, then the type-specific fields."""
    out: dict[str, object] = {}
    for name in STD_FIELDS:
        value = row.get(name)
        if name == "fiber_composition":
            out[name] = [str(v) for v in (value if value is not None else ())]
        elif value is not None:
            out[name] = value
    out.update(row.get("specs") or {})
    return out


class ReinforcedFeatures(BaseModel):
    """Seed 004's `reinforced_feature_value`: the source's own words, kept as free text."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    category: str = ""
    fiber_composition: str = ""
    color: str = ""
    category_specification: str = ""
    specification_metadata: str = Field("", alias="specification.metadata")


class Item(BaseModel):
    """A garment whose standard attributes are all inside the vocabulary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str = Field(min_length=3, description="'<source>:<sku>', stable across crawls")
    source: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    url: str
    title: str = Field(min_length=1)
    brand: str | None = None
    price: float | None = Field(None, ge=0)
    currency: str | None = None
    category: Category
    category_specification: str = ""
    gender: Gender
    age_group: AgeGroup = "adult"
    season: Season
    color: Color
    fiber_composition: tuple[Fiber, ...] = ()
    elasticity: Degree | None = None
    transparency: Degree | None = None
    isfleece: Fleece | None = None
    specs: dict[str, str] = Field(default_factory=dict)
    reinforced: ReinforcedFeatures = ReinforcedFeatures()
    image_url: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        expected = category_specification_of(self.category)
        if not self.category_specification:
            object.__setattr__(self, "category_specification", expected)
        elif self.category_specification != expected:
            raise ValueError(
                f"category_specification {self.category_specification!r} contradicts "
                f"category {self.category!r} (expected {expected!r})"
            )
        for name, value in self.specs.items():
            if name not in SPEC_FIELDS:
                raise ValueError(f"{name!r} is not a type-specific field")
            if self.category not in FIELD_SCOPE[name]:
                raise ValueError(f"{name!r} does not apply to category {self.category!r}")
            if value not in CLOTHES[name]:
                raise ValueError(f"{name} {value!r} is not in the vocabulary")
        return self

    def attributes(self) -> dict[str, object]:
        """The standard attributes (STD group) as a flat dict, type-specific fields included."""
        return std_attributes(self.model_dump())

    def content_hash(self, image_sha256: str) -> str:
        """Hash of everything an embedding depends on: title, attributes, reinforced text, image."""
        payload = {
            "title": self.title,
            "attributes": self.attributes(),
            "age_group": self.age_group,
            "reinforced": self.reinforced.model_dump(by_alias=True),
            "image": image_sha256,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()
