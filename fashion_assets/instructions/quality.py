"""What the instruction data would teach a model, counted per task.

- **ungrounded claims**: an answer states who an item is for, its season, fibres, stretch,
  sheerness or lining without its input saying so (a photo shows none of these), or a
  title-to-attributes answer states more than the title does;
- **contradictions**: one photo, one task, two different answers;
- **particle errors**: a Korean particle that does not follow the final consonant of the word
  before it ("블랙로", "브라운와"), or a doubled suffix ("남녀공용용");
- **unmet constraints**: a shopping or styling answer names an item that breaks what the request
  or the outfit needs (category, season, colour, age group, gender).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import tossi

from fashion_assets.catalog.labels import AUDIENCE, KO, label
from fashion_assets.catalog.vocabulary import CLOTHES
from fashion_assets.instructions.generator import request_of, satisfies
from fashion_assets.instructions.grounding import (
    PREFIXES,
    STATED_FIELDS,
    title_states,
    visible,
)
from fashion_assets.instructions.styling import COMPLEMENTS, gender_ok, wearer_after

Row = Mapping[str, Any]
KINDS = ("ungrounded", "contradictions", "particle_errors", "unmet_constraints")
_PARTICLES = ("으로", "로", "은", "는", "이", "가", "을", "를", "과", "와")
_SUFFIX = r"(?:용|은|는|이|가|을|를|과|와|으로|로|이라|라|의|에|에는|도)?"
_ITEM_ID = re.compile(r"\(([^()\s]+:[^()\s]+)\)\s*(?::|$)", re.MULTILINE)


def _word(text: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![가-힣A-Za-z]){re.escape(text)}{_SUFFIX}(?![가-힣A-Za-z])", re.IGNORECASE
    )


@cache
def _mention_patterns(language: str) -> list[tuple[str, str, re.Pattern[str]]]:
    """(field, value, pattern) for every stated-field value's label in a language; stretch and
    sheerness are named with their field ("신축성 약간"), as the product sheet writes them."""
    out = []
    for name in STATED_FIELDS:
        if name in ("gender", "age_group"):
            continue
        prefix = PREFIXES.get(name, {}).get(language, "")
        for value in CLOTHES[name]:
            out.append((name, value, _word(f"{prefix}{label(name, value, language)}")))
    for (gender, age), word in AUDIENCE[language].items():
        pattern = _word(word)
        out.append(("gender", gender, pattern))
        if age != "adult":
            out.append(("age_group", age, pattern))
    return out


def mentions(text: str, language: str) -> set[tuple[str, str]]:
    """The stated-field facts a text mentions, as (field, value)."""
    return {(f, v) for f, v, pattern in _mention_patterns(language) if pattern.search(text)}


@cache
def _label_patterns() -> list[tuple[str, re.Pattern[str]]]:
    words = {w for table in KO.values() for w in table.values()}
    words |= {w for w in AUDIENCE["ko"].values()}
    return [
        (w, re.compile(rf"(?<![가-힣]){re.escape(w)}({'|'.join(_PARTICLES)})(?![가-힣])"))
        for w in sorted(words, key=len, reverse=True)
        if w
    ]


def particle_errors(text: str) -> list[str]:
    """Particles that do not follow the word before them, and doubled suffixes, in a text."""
    found = [f"{w}{p}" for w, pattern in _label_patterns() for p in pattern.findall(text)
             if tossi.pick(w, p) != p]  # fmt: skip
    return found + re.findall(r"[가-힣]*용용", text)


def _texts(row: Row) -> tuple[str, str]:
    msgs = json.loads(row["messages"])
    prompt = " ".join(p["text"] for p in msgs[0]["content"] if p["type"] == "text")
    answer = " ".join(p["text"] for p in msgs[1]["content"] if p["type"] == "text")
    return prompt, answer


def _ungrounded(row: Row, item: Row | None, prompt: str, answer: str) -> list[str]:
    lang, task = row["language"], row["task"]
    if task in ("attributes", "title_attributes"):
        claims = json.loads(answer)
        if task == "title_attributes":
            allowed = title_states(item) if item else {}
            return [f"{k}={v}" for k, v in claims.items() if allowed.get(k) != v]
        given = mentions(prompt, lang)
        shown = visible(item) if item else {}
        bad = []
        for key, value in claims.items():
            if key in shown and shown[key] == value:
                continue
            values = value if isinstance(value, list) else [value]
            if not all((key, str(v)) in given for v in values):
                bad.append(f"{key}={value}")
        return bad
    lines = [ln for ln in answer.splitlines() if not ln.startswith("- ")]  # listed items
    return [f"{f}={v}" for f, v in mentions("\n".join(lines), lang) - mentions(prompt, lang)]


def _listed(answer: str) -> list[str]:
    return _ITEM_ID.findall(answer)


def _unmet(row: Row, items: Mapping[str, Row], answer: str) -> list[str]:
    anchor = items.get(row["item_id"])
    if anchor is None or row["task"] not in ("shopping_request", "styling"):
        return []
    listed = [items[i] for i in _listed(answer) if i in items]
    if row["task"] == "shopping_request":
        request = request_of(anchor)
        return [p["item_id"] for p in listed if not satisfies(p, request)]
    bad, wearer = [], anchor["gender"]
    slots = COMPLEMENTS.get(anchor["category"], ())
    for p in listed:
        fits = (
            any(p["category"] in slot for slot in slots)
            and p["season"] == anchor["season"]
            and p.get("age_group", "adult") == anchor.get("age_group", "adult")
            and gender_ok(wearer, p["gender"])
        )
        if not fits:
            bad.append(p["item_id"])
        wearer = wearer_after(wearer, p["gender"])
    return bad


@dataclass
class Audit:
    """Counts per task and kind, examples of what was found, and sample rows per task."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    samples: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))

    def total(self, kind: str) -> int:
        """All findings of one kind, over every task."""
        return sum(c[kind] for c in self.counts.values())

    def clean(self) -> bool:
        """Whether nothing was found."""
        return all(self.total(k) == 0 for k in KINDS)

    def table(self) -> list[dict[str, object]]:
        """One row per task: rows and each kind's count."""
        return [{"task": t, "rows": c["rows"], **{k: c[k] for k in KINDS}}
                for t, c in sorted(self.counts.items())]  # fmt: skip


def contradictions(rows: Iterable[Row]) -> dict[tuple[str, str, str], list[str]]:
    """(image, task, language) answered differently by different rows, with their answers."""
    answers: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in rows:
        if row.get("image_key"):
            answers[(row["image_key"], row["task"], row["language"])].add(_texts(row)[1])
    return {key: sorted(found) for key, found in answers.items() if len(found) > 1}


def audit(rows: Sequence[Row], items: Iterable[Row], samples: int = 3) -> Audit:
    """Count what each row would teach wrongly (see the module's docstring)."""
    by_id = {i["item_id"]: i for i in items}
    report = Audit()
    conflicted = contradictions(rows)
    for row in rows:
        task = row["task"]
        prompt, answer = _texts(row)
        counts = report.counts[task]
        counts["rows"] += 1
        found = {
            "ungrounded": _ungrounded(row, by_id.get(row["item_id"]), prompt, answer),
            "contradictions": [row["image_key"]]
            if (row.get("image_key"), task, row["language"]) in conflicted
            else [],
            "particle_errors": particle_errors(f"{prompt}\n{answer}")
            if row["language"] == "ko"
            else [],
            "unmet_constraints": _unmet(row, by_id, answer),
        }
        for kind, what in found.items():
            counts[kind] += len(what)
            if what and len(report.examples[kind]) < 10:
                report.examples[kind].append(f"{task} {row['item_id']}: {what[:3]}")
        if len(report.samples[task]) < samples:
            report.samples[task].append((prompt, answer))
    return report
