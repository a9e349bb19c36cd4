"""Request and response models; filters are checked against the seed vocabulary."""

from __future__ import annotations

from typing import Literal, get_type_hints

from pydantic import BaseModel, Field, create_model, field_validator, model_validator

from fashion_assets.catalog.vocabulary import values_of
from fashion_assets.db.vectors import FILTER_COLUMNS
from fashion_assets.db.vectors import Hit as CoreHit

MAX_K = 100


class Filters(BaseModel):
    """Attribute filters: each field lists accepted values (any of them matches)."""

    model_config = {"extra": "forbid"}

    category: list[str] | None = None
    category_specification: list[str] | None = None
    gender: list[str] | None = None
    age_group: list[str] | None = None
    season: list[str] | None = None
    color: list[str] | None = None

    @model_validator(mode="after")
    def _in_vocabulary(self) -> Filters:
        for field in FILTER_COLUMNS:
            for value in getattr(self, field) or ():
                if value not in values_of(field):
                    raise ValueError(f"{field} {value!r} is not in the vocabulary")
        return self

    def as_dict(self) -> dict[str, list[str]]:
        """Only the fields that were given."""
        return {f: v for f in FILTER_COLUMNS if (v := getattr(self, f))}


class TextsIn(BaseModel):
    texts: list[str] = Field(min_length=1, max_length=64)

    @field_validator("texts")
    @classmethod
    def _short(cls, texts: list[str]) -> list[str]:
        if any(not t.strip() or len(t) > 500 for t in texts):
            raise ValueError("each text must be 1-500 characters")
        return texts


class EmbeddingsOut(BaseModel):
    model_version: str
    dim: int
    embeddings: list[list[float]]


FilterField = Literal[FILTER_COLUMNS]  # type: ignore[valid-type]


class SearchIn(BaseModel):
    """Search by a text or by an item: exactly one of them."""

    model_config = {"extra": "forbid"}

    text: str | None = Field(None, min_length=1, max_length=500)
    item_id: str | None = Field(None, min_length=1, max_length=200)
    k: int = Field(10, ge=1, le=MAX_K)
    filters: Filters = Filters()
    vectors: Literal["clip", "tower"] = "clip"
    against: Literal["image", "text"] = "image"
    mode: Literal["hybrid", "vector", "lexical"] = Field(
        "hybrid", description="Text queries: CLIP vectors, BM25 over titles and labels, or both "
        "fused (reciprocal rank fusion).",
    )  # fmt: skip
    understand: bool = Field(
        True, description="Text queries: turn vocabulary words (colours, garments, seasons, "
        "genders; Korean and English) into filters.",
    )  # fmt: skip
    ignore: list[FilterField] = Field(
        default_factory=list, description="Understood fields to leave out (a removed chip)."
    )

    @model_validator(mode="after")
    def _one_query(self) -> SearchIn:
        if (self.text is None) == (self.item_id is None):
            raise ValueError("give exactly one of text or item_id")
        if self.vectors == "tower" and self.text is not None:
            raise ValueError("tower vectors search by item_id (the tower has no text encoder)")
        return self


#: A search result: the search core's `Hit`, with where its image is served for its image key.
Hit = create_model(
    "Hit",
    **{name: (kind, ...) for name, kind in get_type_hints(CoreHit).items() if name != "image_key"},
    image_url=(str, ...),
)


class UnderstoodOut(BaseModel):
    """A filter read from the query."""

    field: str
    values: list[str]
    words: str


class SearchOut(BaseModel):
    plan: str
    model_version: str | None
    results: list[Hit]
    understood: list[UnderstoodOut] = []
    filters: dict[str, list[str]] = {}
    relaxed: list[str] = Field(
        default_factory=list, description="Understood fields given up because no item matched "
        "them all.",
    )  # fmt: skip


class RecommendIn(BaseModel):
    """An item, an image (data URI) or a text request, plus optional context."""

    model_config = {"extra": "forbid"}

    item_id: str | None = Field(None, min_length=1, max_length=200)
    text: str | None = Field(None, min_length=1, max_length=500)
    image: str | None = Field(None, max_length=8_000_000, description="data:image/...;base64,...")
    context: str = Field("", max_length=500)
    language: Literal["ko", "en"] = "ko"

    @model_validator(mode="after")
    def _one_query(self) -> RecommendIn:
        if sum(v is not None for v in (self.item_id, self.text, self.image)) != 1:
            raise ValueError("give exactly one of item_id, text or image")
        return self


class RecommendOut(BaseModel):
    anchor: Hit
    items: list[Hit]
    recommendation: str
    generator: str
