"""Vector service: search by text, image or item with filters; item details; similar items;
item images. Reads the live pgvector tables, so a table swapped in by the pipeline (a new CLIP
model, a new item tower checkpoint) is what the next request sees: no restart."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile

from fashion_assets.catalog.vocabulary import values_of
from fashion_assets.db.vectors import FILTER_COLUMNS, Ranked, item_vector, search
from fashion_assets.search.hybrid import SearchResult, text_search

from .catalog import item_details, table_version, with_images
from .clip_service import image_vectors
from .schemas import MAX_K, Filters, SearchIn, SearchOut
from .state import ServiceState, State
from .uploads import read_upload

router = APIRouter(tags=["vector"])


Found = TypeVar("Found", Ranked, SearchResult)
#: The answer (503) before `item_vectors` is first built.
NOT_PUBLISHED = "no vectors published yet: materialize item_vectors first"


def _check_model(s: ServiceState, version: str | None) -> None:
    if version is None:
        raise HTTPException(503, NOT_PUBLISHED)
    if version != s.encoder_for(version).version:
        raise HTTPException(
            409, f"item_vectors holds {version} but this service encodes with "
            f"{s.encoder.version}: set FASHION_CLIP_MODEL/FASHION_CLIP_PRETRAINED to match",
        )  # fmt: skip


def with_live_model(s: ServiceState, attempt: Callable[[], Found]) -> Found:
    """`attempt()` (encode a query with the service's encoder, then search), checked against the
    model version of the vectors it searched, which the search reads with the table's size (no
    round trip of its own). When a promoted model was swapped in since the encoder was loaded,
    the encoder is loaded again and the search made once more; 503 before any vectors are
    published, 409 when the settings name another model."""
    encoded_with = s.encoder.version
    found = attempt()
    _check_model(s, found.model_version)
    return found if found.model_version == encoded_with else attempt()


def run_search(
    s: ServiceState,
    *,
    k: int,
    filters: Filters,
    vectors: str = "clip",
    against: str = "image",
    item_id: str | None = None,
    encode: Callable[[], np.ndarray] | None = None,
) -> SearchOut:
    """Search with the CLIP vector `encode()` makes, or with the stored vector of `item_id`."""
    target = "tower" if vectors == "tower" else against
    with s.connection() as conn:

        def nearest(query: np.ndarray) -> Ranked:
            return search(conn, query, k=k, filters=filters.as_dict(), against=target,
                          exclude=item_id)  # fmt: skip

        if encode is not None:
            found = with_live_model(s, lambda: nearest(encode()))
        else:
            if table_version(conn, vectors, against) is None:
                raise HTTPException(503, f"no {vectors} vectors published yet")
            try:
                found = nearest(item_vector(conn, item_id, target))
            except KeyError:
                raise HTTPException(404, f"item {item_id!r} has no {vectors} vector") from None
        return SearchOut(plan=found.plan, model_version=found.model_version,
                         results=with_images(found.hits))  # fmt: skip


def run_text_search(s: ServiceState, body: SearchIn) -> SearchOut:
    """A text query in the requested mode, with query understanding."""
    with s.connection() as conn:

        def attempt() -> SearchResult:
            return text_search(
                conn, s.lexical, body.text, lambda text: s.encode_texts([text])[0],
                k=body.k, mode=body.mode, filters=body.filters.as_dict(), against=body.against,
                understand_query=body.understand, ignore=body.ignore,
                lexical_weight=s.settings.fashion_search_lexical_weight,
            )  # fmt: skip

        if body.mode != "lexical":
            found = with_live_model(s, attempt)
            version = found.model_version
        else:  # no vectors searched: the version is read for the answer
            version = table_version(conn, "clip", body.against)
            if version is None:
                raise HTTPException(503, NOT_PUBLISHED)
            found = attempt()
        return SearchOut(
            plan=found.plan, model_version=version, results=with_images(found.hits),
            understood=[u.__dict__ for u in found.understood], filters=found.filters,
            relaxed=found.relaxed,
        )  # fmt: skip


@router.post("/search", response_model=SearchOut)
async def search_items(body: SearchIn, s: State) -> SearchOut:
    """Items for a text (hybrid by default: CLIP against item images or texts fused with BM25
    over titles and labels; vocabulary words become filters, returned as `understood`) or
    nearest to an item (CLIP or item tower vectors), among those matching the filters."""
    if body.text is not None:
        return await s.run(run_text_search, s, body)
    return await s.run(
        run_search, s, k=body.k, filters=body.filters, vectors=body.vectors,
        against=body.against, item_id=body.item_id,
    )  # fmt: skip


@router.post("/search/image", response_model=SearchOut)
async def search_by_image(
    file: Annotated[UploadFile, File()],
    s: State,
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    filters: Annotated[str, Query(description='JSON, e.g. {"season": ["winter"]}')] = "{}",
) -> SearchOut:
    """Nearest items to an uploaded image."""
    try:
        parsed = Filters.model_validate(json.loads(filters))
    except ValueError as exc:
        raise HTTPException(422, f"filters: {exc}") from None

    def work() -> SearchOut:
        image = read_upload(file, s.settings.fashion_max_upload_bytes)
        return run_search(s, k=k, filters=parsed, encode=lambda: image_vectors(s, [image])[0])

    return await s.run(work)


@router.get("/vocabulary")
def vocabulary() -> dict[str, list[str]]:
    """The values each filter accepts."""
    return {field: list(values_of(field)) for field in FILTER_COLUMNS}


@router.get("/items/{item_id}")
def get_item(item_id: str, s: State) -> dict:
    """An item's attributes and image link."""
    with s.connection() as conn:
        item = item_details(conn, item_id)
    if item is None:
        raise HTTPException(404, f"unknown item {item_id!r}")
    return item


@router.get("/items/{item_id}/similar", response_model=SearchOut)
async def similar_items(
    item_id: str,
    s: State,
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    vectors: Literal["clip", "tower"] = "tower",
) -> SearchOut:
    """Items like this one: item tower vectors by default, or CLIP image vectors."""
    return await s.run(run_search, s, k=k, filters=Filters(), vectors=vectors, item_id=item_id)


@router.get("/images/{key:path}")
def get_image(key: str, s: State) -> Response:
    """An item image from the object store."""
    if not key.startswith("images/") or ".." in key.split("/"):
        raise HTTPException(404, "not an image key")
    try:
        data = s.store.get(key)
    except (KeyError, ValueError):
        raise HTTPException(404, f"no image {key!r}") from None
    media = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return Response(data, media_type=media, headers={"Cache-Control": "public, max-age=86400"})
