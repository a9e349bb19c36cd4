"""VLM service: OpenAI-compatible chat completions over the base model + LoRA adapter.

The model is FASHION_VLM_BASE_MODEL (a local folder, or a hub id when the hub is reachable);
the adapter is FASHION_VLM_ADAPTER: a folder, or `latest` for the newest `vlm_adapter` in the
object store, which is re-read on each request so a new adapter is served without a restart.
Messages take text parts and `image_url` parts holding data URIs.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import torch
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from fashion_assets.storage import get_folder
from fashion_assets.vlm.registry import latest_adapter

from .state import ServiceState, State
from .uploads import decode_data_uri

router = APIRouter(tags=["vlm"])
MIN_TEMPERATURE = 0.01
_load_lock = threading.Lock()


class ImageUrl(BaseModel):
    url: str = Field(max_length=8_000_000)


class Part(BaseModel):
    type: Literal["text", "image_url"]
    text: str | None = Field(None, max_length=4000)
    image_url: ImageUrl | None = None


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str | list[Part]


class ChatIn(BaseModel):
    model: str = ""
    messages: list[Message] = Field(min_length=1, max_length=32)
    max_tokens: int = Field(128, ge=1, le=512)
    temperature: float = Field(0.0, ge=0.0, le=2.0)


@dataclass
class LoadedVlm:
    """A model ready to generate, and what it is."""

    model: Any
    processor: Any
    name: str
    adapter: str | None


def _adapter_source(s: ServiceState) -> str | None:
    setting = s.settings.fashion_vlm_adapter
    if setting != "latest":
        return setting or None
    latest = latest_adapter(s.store)
    if latest is None:
        raise HTTPException(503, "no VLM adapter trained yet: materialize vlm_adapter first")
    return latest["adapter"]


def _load(s: ServiceState, adapter: str | None) -> LoadedVlm:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    base = s.settings.fashion_vlm_base_model
    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        processor = AutoProcessor.from_pretrained(base)
        model = AutoModelForImageTextToText.from_pretrained(base).to(device)
    except OSError as exc:
        raise HTTPException(
            503, f"cannot load the VLM {base!r}: {str(exc)[:200]}. Set FASHION_VLM_BASE_MODEL "
            "to a local model folder (the hub is not reachable from here).",
        ) from None  # fmt: skip
    if adapter:
        from peft import PeftModel

        folder = adapter
        if s.settings.fashion_vlm_adapter == "latest":
            folder = get_folder(s.store, adapter, tempfile.mkdtemp(prefix="vlm-adapter-"))
        model = PeftModel.from_pretrained(model, folder).to(device)
    model.eval()
    return LoadedVlm(model, processor, base, adapter)


def loaded_vlm(s: ServiceState) -> LoadedVlm:
    """The model, reloaded when the adapter pointer moved."""
    adapter = _adapter_source(s)
    with _load_lock:
        if s.vlm is None or s.vlm.adapter != adapter:
            s.vlm = _load(s, adapter)
        return s.vlm


def _chat(body: ChatIn, limit: int) -> tuple[list[dict[str, Any]], list]:
    messages, images = [], []
    for m in body.messages:
        parts = [{"type": "text", "text": m.content}] if isinstance(m.content, str) else []
        for p in m.content if not isinstance(m.content, str) else []:
            if p.type == "text":
                parts.append({"type": "text", "text": p.text or ""})
            elif p.image_url is None:
                raise HTTPException(422, "an image_url part needs image_url.url")
            else:
                images.append(decode_data_uri(p.image_url.url, limit))
                parts.append({"type": "image"})
        messages.append({"role": m.role, "content": parts})
    return messages, images


def generate(s: ServiceState, body: ChatIn) -> tuple[str, int, int, str]:
    """(text, prompt tokens, completion tokens, model name)."""
    vlm = loaded_vlm(s)
    messages, images = _chat(body, s.settings.fashion_max_upload_bytes)
    prompt = vlm.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    inputs = vlm.processor(text=[prompt], images=[images] if images else None,
                           add_special_tokens=False, return_tensors="pt").to(vlm.model.device)  # fmt: skip
    # temperatures near zero mean greedy decoding (dividing logits by 1e-45 overflows to NaN:
    # found by the schema fuzzer)
    greedy = body.temperature < MIN_TEMPERATURE
    sampling = {"do_sample": not greedy} | ({} if greedy else {"temperature": body.temperature})
    with torch.inference_mode():
        out = vlm.model.generate(**inputs, max_new_tokens=body.max_tokens, **sampling)
    new = out[0, inputs["input_ids"].shape[1] :]
    text = vlm.processor.tokenizer.decode(new, skip_special_tokens=True)
    name = vlm.name + (f"+{vlm.adapter}" if vlm.adapter else "")
    return text, int(inputs["input_ids"].shape[1]), len(new), name


@router.post("/v1/chat/completions")
def chat_completions(body: ChatIn, s: State) -> dict[str, Any]:
    """OpenAI-compatible chat completion (no streaming)."""
    text, prompt_tokens, completion_tokens, name = generate(s, body)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": name,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "length" if completion_tokens >= body.max_tokens else "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }  # fmt: skip


@router.get("/v1/models")
def models(s: State) -> dict[str, Any]:
    """The served model."""
    return {
        "object": "list",
        "data": [{"id": s.settings.fashion_vlm_base_model, "object": "model"}],
    }
