"""Attribute vocabulary, normalisation maps and the Item model."""

from fashion_assets.catalog.item import Item, ReinforcedFeatures
from fashion_assets.catalog.normalize import normalize, normalize_category, parse_fibers

__all__ = ["Item", "ReinforcedFeatures", "normalize", "normalize_category", "parse_fibers"]
