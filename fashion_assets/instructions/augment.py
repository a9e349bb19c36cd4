"""Optional paraphrasing of instructions (and the titles inside them) by a local model.

Any OpenAI-compatible chat-completions endpoint works (Ollama, vLLM, llama.cpp server, ...).
Answers are cached in the object store by a hash of (model, language, text), calls are spaced
by `min_interval_s`, and any failure — network, HTTP status, malformed or implausible answer —
falls back to the template text and is counted. Off unless a base URL is configured.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from fashion_assets.storage import ObjectStore

_SYSTEM = {
    "ko": "다음 쇼핑 질문을 뜻은 그대로 두고 자연스럽게 다른 표현으로 바꿔줘. 상품명은 "
    "핵심 단어를 유지해. 바꾼 문장만 답해.",
    "en": "Rephrase the following shopping request with the same meaning. Keep the product's "
    "key words. Answer with the rephrased text only.",
}


@dataclass(frozen=True)
class AugmentConfig:
    """Where the chat endpoint is and how to call it."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 20.0
    min_interval_s: float = 0.0
    temperature: float = 0.7


class Augmenter:
    """Paraphrase texts through a chat endpoint, with a cache and a rate limit."""

    def __init__(
        self, config: AugmentConfig, cache: ObjectStore, client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
    ):  # fmt: skip
        """`clock` and `sleep` space the calls (injectable, so the spacing can be checked)."""
        self.config = config
        self._clock, self._sleep = clock, sleep
        self.cache = cache
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self.client = client or httpx.Client(timeout=config.timeout_s, headers=headers)
        self.stats: Counter[str] = Counter()
        self._last_call = -math.inf

    def _key(self, text: str, language: str) -> str:
        digest = hashlib.sha256(f"{self.config.model}|{language}|{text}".encode()).hexdigest()
        return f"cache/augment/{digest[:2]}/{digest}.json"

    def paraphrase(self, text: str, language: str) -> str | None:
        """The paraphrase of `text`, or None when the endpoint failed (counted in `stats`)."""
        key = self._key(text, language)
        if self.cache.exists(key):
            self.stats["cached"] += 1
            return json.loads(self.cache.get(key))["paraphrase"]
        wait = self._last_call + self.config.min_interval_s - self._clock()
        if wait > 0:
            self._sleep(wait)
        self._last_call = self._clock()
        try:
            resp = self.client.post(
                self.config.base_url.rstrip("/") + "/chat/completions",
                json={
                    "model": self.config.model,
                    "temperature": self.config.temperature,
                    "messages": [
                        {"role": "system", "content": _SYSTEM[language]},
                        {"role": "user", "content": text},
                    ],
                },
            )
            resp.raise_for_status()
            answer = str(resp.json()["choices"][0]["message"]["content"]).strip()
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            self.stats["failed"] += 1
            return None
        if not answer or len(answer) > 4 * len(text) + 40:
            self.stats["failed"] += 1
            return None
        self.cache.put(key, json.dumps({"text": text, "paraphrase": answer}).encode())
        self.stats["augmented"] += 1
        return answer


def augment_rows(rows: Iterable[Mapping[str, Any]], augmenter: Augmenter) -> list[dict[str, Any]]:
    """Rows whose user text is paraphrased (template id gains '+aug'); unchanged on failure."""
    out = []
    for row in rows:
        msgs = json.loads(row["messages"])
        part = msgs[0]["content"][-1]
        new = augmenter.paraphrase(part["text"], row["language"])
        if new is None or new == part["text"]:
            out.append(dict(row))
            continue
        part["text"] = new
        text = json.dumps(msgs, ensure_ascii=False)
        iid = hashlib.sha256(f"{row['instruction_id']}|aug|{text}".encode()).hexdigest()[:24]
        out.append({**row, "messages": text, "instruction_id": iid,
                    "template_id": row["template_id"] + "+aug"})  # fmt: skip
    return out
