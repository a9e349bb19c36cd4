"""An item as the tower reads it: STD, RE and Title token groups.

STD (the query) holds the standard attributes that say what the item is: category, its
category_specification, gender, season and the type-specific specs. RE (reinforced features, a
key/value group) holds what describes it further: fibres, colour, elasticity, transparency and
fleece. Title tokens come from the title tokenizer. Attribute tokens are `field=value` strings
over the fixed seed vocabulary, so their ids never depend on the data a checkpoint saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fashion_assets.catalog.vocabulary import CLOTHES, SPEC_FIELDS

PAD, UNK, MASK = 0, 1, 2
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[MASK]")
STD_FIELDS = ("category", "category_specification", "gender", "season", *SPEC_FIELDS)
RE_FIELDS = ("fiber_composition", "color", "elasticity", "transparency", "isfleece")

#: `field=value` -> id for every value of the vocabulary, after the special tokens.
ATTRIBUTE_IDS: Mapping[str, int] = {
    token: i
    for i, token in enumerate(
        [*SPECIAL_TOKENS, *(f"{f}={v}" for f, values in CLOTHES.items() for v in values)]
    )
}


#: Labels a shop's page may lack (the cleaning step requires a category but none of these).
MISSABLE = ("gender", "color", "season")


def field_ids(fields: Sequence[str]) -> frozenset[int]:
    """Ids of every `field=value` token of these fields."""
    return frozenset(i for t, i in ATTRIBUTE_IDS.items() if t.split("=")[0] in fields)


#: field -> its token ids, for each MISSABLE label
MISSABLE_IDS: Mapping[str, frozenset[int]] = {label: field_ids((label,)) for label in MISSABLE}


@dataclass(frozen=True)
class ItemTokens:
    """One item's token ids, ready for a view to be drawn from."""

    item_id: str
    std: tuple[int, ...]
    re: tuple[int, ...]
    title: tuple[int, ...]


def _values(row: Mapping[str, Any], field: str) -> list[str]:
    specs = row.get("specs") or {}
    value = specs.get(field) if field in SPEC_FIELDS else row.get(field)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]  # a list, or an array when read back from parquet


def attribute_ids(row: Mapping[str, Any], fields: Sequence[str]) -> tuple[int, ...]:
    """Ids of the `field=value` tokens of `fields` (values outside the vocabulary -> UNK)."""
    return tuple(
        ATTRIBUTE_IDS.get(f"{field}={value}", UNK)
        for field in fields
        for value in _values(row, field)
    )


def item_tokens(row: Mapping[str, Any], title_ids: Sequence[int]) -> ItemTokens:
    """The three token groups of an item row (an items-table or `filtered_items` row)."""
    std = attribute_ids(row, STD_FIELDS)
    if not std:
        raise ValueError(f"item {row.get('item_id')!r} has no standard attributes")
    return ItemTokens(str(row["item_id"]), std, attribute_ids(row, RE_FIELDS), tuple(title_ids))


def signature_labels(items: Sequence[ItemTokens]) -> list[int]:
    """One label per distinct STD + RE token set: items that are the same kind of thing in
    every attribute share a label (positives of the loss), whatever their titles."""
    ids: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
    return [ids.setdefault((i.std, tuple(sorted(i.re))), len(ids)) for i in items]
