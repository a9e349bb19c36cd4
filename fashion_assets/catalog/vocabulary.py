"""The fixed attribute vocabulary from seed 004 (`clothes` and `reinforced_feature_value`).

Every field and every value is spelled exactly as in the seed, typos included ("nomal",
"jumpsuite", "Viscos rayon"): the vocabulary is a contract with labelled data, so spellings from
the wild are mapped onto it by `catalog.normalize`, never the other way round.

Type-specific fields (`top.*`, `pant.silhouette`, `skirt.design`) apply only to the categories
listed in `FIELD_SCOPE`; `category_specification` is derived from the category's prefix.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

CATEGORIES: Final = (
    "01outer_01coat",
    "01outer_02jacket",
    "01outer_03jumper",
    "01outer_04cardigan",
    "02top_01blouse",
    "02top_02t-shirt",
    "02top_03sweater",
    "02top_04shirt",
    "02top_05vest",
    "03-1onepiece(dress)",
    "03-2onepiece(jumpsuite)",
    "04bottom_01pants",
    "04bottom_02skirt",
)
SEASONS: Final = ("spring&fall", "summer", "winter")
FIBERS: Final = (
    "Cotton",
    "Hemp",
    "cellulose fiber Others",
    "Silk",
    "Wool",
    "protein fiber Others",
    "Viscos rayon",
    "regenerated fiber Others",
    "Polyester",
    "Nylon",
    "Polyurethane",
    "synthetic fiber Others",
)
DEGREES: Final = ("none at all", "none", "contain", "contain little", "contain a lot")
FLEECE: Final = ("fleece_contain", "fleece_none")
COLORS: Final = (
    "Black",
    "White",
    "Gray",
    "Red",
    "Orange",
    "Pink",
    "Yellow",
    "Brown",
    "Green",
    "Blue",
    "Purple",
    "Beige",
    "Mixed",
)
GENDERS: Final = ("male", "female", "both")
CATEGORY_SPECIFICATIONS: Final = ("outer", "top", "onepiece", "bottom")
TOP_LENGTH_TYPES: Final = ("crop", "nomal", "long", "midi", "short")
TOP_SLEEVE_LENGTH_TYPES: Final = ("sleeveless", "short sleeves", "long sleeves")
TOP_NECK_DESIGNS: Final = (
    "shirts collar",
    "bow collar",
    "sailor collar",
    "shawl collar",
    "polo collar",
    "Peter Pan collar",
    "tailored collar",
    "Chinese collar",
    "band collar",
    "hood",
    "round neck",
    "U-neck",
    "V-neck",
    "halter neck",
    "off shoulder",
    "one shoulder",
    "square neck",
    "turtle neck",
    "boat neck",
    "cowl neck",
    "sweetheart neck",
    "no neckline",
    "Others",
)
TOP_SLEEVE_DESIGNS: Final = (
    "basic sleeve",
    "ribbed sleeve",
    "shirt sleeve",
    "puff sleeve",
    "cape sleeve",
    "petal sleeve",
    "Others",
)
PANT_SILHOUETTES: Final = ("skinny", "normal", "wide", "loose", "bell-bottom", "Others")
SKIRT_DESIGNS: Final = ("A-line and bell line", "mermaid line", "Others")

#: The `clothes` block of the seed: field name -> allowed values.
CLOTHES: Final = MappingProxyType(
    {
        "category": CATEGORIES,
        "season": SEASONS,
        "fiber_composition": FIBERS,
        "elasticity": DEGREES,
        "transparency": DEGREES,
        "isfleece": FLEECE,
        "color": COLORS,
        "gender": GENDERS,
        "category_specification": CATEGORY_SPECIFICATIONS,
        "top.length_type": TOP_LENGTH_TYPES,
        "top.sleeve_length_type": TOP_SLEEVE_LENGTH_TYPES,
        "top.neck_color_design": TOP_NECK_DESIGNS,
        "top.sleeve_design": TOP_SLEEVE_DESIGNS,
        "pant.silhouette": PANT_SILHOUETTES,
        "skirt.design": SKIRT_DESIGNS,
    }
)

#: Not in seed 004: whether a garment is made for adults or children. Shops state it (Boys,
#: Girls, Kids, 아동, 키즈, a suggested age); an item nobody says is for children is for adults.
AGE_GROUPS: Final = ("adult", "kids")

#: The `reinforced_feature_value` block: free-text fields kept from the source as written.
REINFORCED_FIELDS: Final = (
    "category",
    "fiber_composition",
    "color",
    "category_specification",
    "specification.metadata",
)

_SPEC_BY_PREFIX: Final = {"01": "outer", "02": "top", "03": "onepiece", "04": "bottom"}


def values_of(field: str) -> tuple[str, ...]:
    """The allowed values of a field: a `CLOTHES` field, or `age_group`."""
    return AGE_GROUPS if field == "age_group" else CLOTHES[field]


def category_specification_of(category: str) -> str:
    """The `category_specification` a vocabulary category belongs to ("01outer_01coat" -> "outer")."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    return _SPEC_BY_PREFIX[category[:2]]


_UPPER_BODY: Final = frozenset(
    c for c in CATEGORIES if category_specification_of(c) in ("outer", "top", "onepiece")
)

#: Which categories each type-specific field applies to. `top.*` describes every upper-body
#: garment (outer, top, one-piece: they all have a neckline and sleeves); trouser silhouettes
#: apply to pants and jumpsuits, skirt designs to skirts and dresses.
FIELD_SCOPE: Final = MappingProxyType(
    {
        "top.length_type": _UPPER_BODY,
        "top.sleeve_length_type": _UPPER_BODY,
        "top.neck_color_design": _UPPER_BODY,
        "top.sleeve_design": _UPPER_BODY,
        "pant.silhouette": frozenset({"04bottom_01pants", "03-2onepiece(jumpsuite)"}),
        "skirt.design": frozenset({"04bottom_02skirt", "03-1onepiece(dress)"}),
    }
)
SPEC_FIELDS: Final = tuple(FIELD_SCOPE)


def spec_fields_for(category: str) -> tuple[str, ...]:
    """The type-specific fields that apply to a category, in vocabulary order."""
    category_specification_of(category)  # validates
    return tuple(f for f in SPEC_FIELDS if category in FIELD_SCOPE[f])
