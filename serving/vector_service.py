"""Vector service: search by text, image or item with filters; item details; similar items;
item images. Reads the live pgvector tables, so a table swapped in by the pipeline (a new CLIP
model, a new item tower checkpoint) is what the next request sees: no restart."""

from __future__ import annotations

import json
import mimetypes
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from fashion_assets.catalog.vocabulary import values_of
from fashion_assets.db.vectors import FILTER_COLUMNS, item_vector, search
from fashion_assets.search.hybrid import text_search

from .catalog import item_details, table_version, with_images
from .clip_service import image_vectors
from .schemas import MAX_K, Filters, SearchIn, SearchOut
from .state import ServiceState, State
from .uploads import read_upload

router = APIRouter(tags=["vector"])


def _check_model(s: ServiceState, version: str | None) -> None:
    if version is None:
        raise HTTPException(503, "no vectors published yet: materialize item_vectors first")
    if version != s.encoder_for(version).version:
        raise HTTPException(
            409, f"item_vectors holds {version} but this service encodes with "
            f"{s.encoder.version}: set FASHION_CLIP_MODEL/FASHION_CLIP_PRETRAINED to match",
        )  # fmt: skip


def run_search(
    s: ServiceState,
    *,
    k: int,
    filters: Filters,
    vectors: str = "clip",
    against: str = "image",
    item_id: str | None = None,
    query: np.ndarray | None = None,
) -> SearchOut:
    """Search with a CLIP query vector, or with the stored vector of `item_id`."""
    target = "tower" if vectors == "tower" else against
    with s.connection() as conn:
        version = table_version(conn, vectors, against)
        if query is None:
            if version is None:
                raise HTTPException(503, f"no {vectors} vectors published yet")
            try:
                query = item_vector(conn, item_id, target)
            except KeyError:
                raise HTTPException(404, f"item {item_id!r} has no {vectors} vector") from None
        else:
            _check_model(s, version)
        hits, plan = search(conn, query, k=k, filters=filters.as_dict(), against=target,
                            exclude=item_id)  # fmt: skip
        return SearchOut(plan=plan, model_version=version, results=with_images(hits))


def run_text_search(s: ServiceState, body: SearchIn) -> SearchOut:
    """A text query in the requested mode, with query understanding."""
    with s.connection() as conn:
        version = table_version(conn, "clip", body.against)
        if body.mode != "lexical":
            _check_model(s, version)
        elif version is None:
            raise HTTPException(503, "no vectors published yet: materialize item_vectors first")
        found = text_search(
            conn, s.lexical, body.text, lambda text: s.encode_texts([text])[0],
            k=body.k, mode=body.mode, filters=body.filters.as_dict(), against=body.against,
            understand_query=body.understand, ignore=body.ignore,
            lexical_weight=s.settings.fashion_search_lexical_weight,
        )  # fmt: skip
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
        return await run_in_threadpool(run_text_search, s, body)
    return await run_in_threadpool(
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
        return run_search(s, k=k, filters=parsed, query=image_vectors(s, [image])[0])

    return await run_in_threadpool(work)


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
    return await run_in_threadpool(
        run_search, s, k=k, filters=Filters(), vectors=vectors, item_id=item_id
    )


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
