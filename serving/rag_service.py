"""RAG service: retrieve an outfit around an item (or around the best match of a text or an
image), then write a styling recommendation with the VLM, or with the rule-based writer when no
VLM is configured or the call fails."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, HTTPException

from fashion_assets.catalog.vocabulary import GENDERS
from fashion_assets.db.vectors import Ranked, item_vector, search
from fashion_assets.instructions.generator import styling_text
from fashion_assets.instructions.styling import (
    COMPLEMENTS,
    color_score,
    gender_ok,
    wearer_after,
)

from .catalog import item_details, with_images
from .clip_service import image_vectors
from .schemas import Hit, RecommendIn, RecommendOut
from .state import ServiceState, State
from .uploads import decode_data_uri
from .vector_service import NOT_PUBLISHED, with_live_model

router = APIRouter(tags=["rag"])
CANDIDATES = 12  # nearest items considered per complementary slot


def _anchor(s: ServiceState, conn, body: RecommendIn) -> dict:
    if body.item_id is not None:
        item = item_details(conn, body.item_id)
        if item is None:
            raise HTTPException(404, f"unknown item {body.item_id!r}")
        return item
    image = None
    if body.text is None:
        image = decode_data_uri(body.image, s.settings.fashion_max_upload_bytes)

    def best_match() -> Ranked:
        query = s.encode_texts([body.text])[0] if image is None else image_vectors(s, [image])[0]
        return search(conn, query, k=1)

    hits = with_live_model(s, best_match).hits
    if not hits:
        raise HTTPException(503, NOT_PUBLISHED)
    return item_details(conn, hits[0].item_id)


def retrieve(conn, anchor: dict) -> list[Hit]:
    """Per complementary slot, the nearest items (CLIP image vectors) of the same season and age
    group and a gender that suits the outfit's wearer, best colour match first; one per slot."""
    query = item_vector(conn, anchor["item_id"])
    wearer, chosen = anchor["gender"], []
    for slot in COMPLEMENTS.get(anchor["category"], ()):
        filters = {"category": list(slot), "season": [anchor["season"]],
                   "age_group": [anchor["age_group"]],
                   "gender": [g for g in GENDERS if gender_ok(wearer, g)]}  # fmt: skip
        hits = search(conn, query, k=CANDIDATES, filters=filters, exclude=anchor["item_id"]).hits
        scored = [(color_score(anchor["color"], h.color), -h.distance, h) for h in hits]
        fitting = [entry for entry in scored if entry[0] > 0]
        if fitting:
            chosen.append(max(fitting, key=lambda entry: entry[:2])[2])
            wearer = wearer_after(wearer, chosen[-1].gender)
    return with_images(chosen)


def _prompt(anchor: dict, items: list[Hit], context: str, language: str) -> str:
    lines = [f"- {h.title} ({h.item_id}): {h.category}, {h.color}, {h.season}" for h in items]
    ask = ("이 상품과 아래 상품들로 코디를 추천하고 이유를 짧게 설명해 주세요."
           if language == "ko" else "Recommend an outfit with this item and the ones below, briefly saying why.")  # fmt: skip
    return "\n".join([
        ask,
        f"상품: {anchor['title']} ({anchor['category']}, {anchor['color']}, {anchor['season']}, {anchor['gender']})",
        *lines,
        *([f"요청: {context}"] if context else []),
    ])  # fmt: skip


def write(s: ServiceState, anchor: dict, items: list[Hit], body: RecommendIn) -> tuple[str, str]:
    """(recommendation, generator): the VLM at FASHION_VLM_URL when set and answering in time,
    else the rule-based writer."""
    url = s.settings.fashion_vlm_url
    if url:
        try:
            response = httpx.post(
                f"{url.rstrip('/')}/v1/chat/completions",
                json={"model": s.settings.fashion_vlm_model, "max_tokens": 256,
                      "messages": [{"role": "user", "content": _prompt(anchor, items, body.context, body.language)}]},
                timeout=s.settings.fashion_vlm_timeout_s,
            )  # fmt: skip
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"].strip()
            if text:
                return text, f"vlm:{s.settings.fashion_vlm_model or url}"
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError):
            pass
    partners = [
        {"item_id": h.item_id, "title": h.title, "category": h.category, "color": h.color}
        for h in items
    ]
    return styling_text(anchor, partners, body.language), "rules"


@router.post("/recommend", response_model=RecommendOut)
async def recommend(body: RecommendIn, s: State) -> RecommendOut:
    """Styling recommendation around an item, an image or a text request."""
    return await s.run(_recommend, body, s)


def _recommend(body: RecommendIn, s: ServiceState) -> RecommendOut:
    with s.connection() as conn:
        anchor = _anchor(s, conn, body)
        items = retrieve(conn, anchor)
    anchor_hit = Hit(**{f: anchor[f] for f in Hit.model_fields if f != "distance"}, distance=0.0)
    text, generator = write(s, anchor, items, body)
    return RecommendOut(anchor=anchor_hit, items=items, recommendation=text, generator=generator)
