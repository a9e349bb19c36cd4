"""The VLM training set: instruction partitions merged into conversations, split by item.

Each line of `train.jsonl` / `eval.jsonl` is
`{"messages": [...], "image_key": "images/ab/<sha>.jpg" | null, "instruction_id", "item_id",
"task"}`; `messages` is the format unsloth's vision fine-tuning takes
(`{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": ...}]}`, then the
assistant turn), and `image_key` names the picture in the object store that fills the image
part. An item's instructions all land in one split.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fashion_assets.catalog.vocabulary import CATEGORY_SPECIFICATIONS, SEASONS
from fashion_assets.instructions.generator import COLUMNS, LANGUAGES
from fashion_assets.instructions.templates import IMAGE_TASKS, TASKS

Row = Mapping[str, Any]


def split_of(item_id: str, eval_percent: float = 5.0) -> str:
    """'eval' for a stable `eval_percent` of item ids, 'train' for the rest."""
    bucket = int.from_bytes(hashlib.sha256(f"split:{item_id}".encode()).digest()[:4], "big")
    return "eval" if bucket % 10_000 < eval_percent * 100 else "train"


def by_hash(rows: Iterable[Row]) -> list[Row]:
    """Rows in a stable order that does not follow the catalogue's (sha256 of the item id):
    its first n are a fair sample."""
    return sorted(rows, key=lambda r: hashlib.sha256(str(r["item_id"]).encode()).digest())


def merge_partitions(rows: Iterable[Row]) -> list[Row]:
    """One row per (item, task, language): the one from the latest partition."""
    latest: dict[tuple[str, str, str], Row] = {}
    for row in sorted(rows, key=lambda r: (r["partition"], r["instruction_id"])):
        latest[(row["item_id"], row["task"], row["language"])] = row
    return sorted(latest.values(), key=lambda r: r["instruction_id"])


def conversations(
    rows: Sequence[Row], eval_percent: float = 5.0
) -> dict[str, list[dict[str, Any]]]:
    """The merged rows as conversation records, split into 'train' and 'eval' by item."""
    out: dict[str, list[dict[str, Any]]] = {"train": [], "eval": []}
    for row in rows:
        out[split_of(row["item_id"], eval_percent)].append({
            "messages": json.loads(row["messages"]), "image_key": row["image_key"],
            "instruction_id": row["instruction_id"], "item_id": row["item_id"],
            "task": row["task"],
        })  # fmt: skip
    return out


def to_jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    """JSON Lines, UTF-8, Korean kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def schema_problems(rows: Iterable[Row]) -> list[str]:
    """What is wrong with instruction rows: columns, tasks, languages, message structure."""
    problems: list[str] = []
    seen: set[str] = set()
    for row in rows:
        rid = row.get("instruction_id")
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            problems.append(f"{rid}: missing {missing}")
            continue
        if rid in seen:
            problems.append(f"{rid}: duplicate instruction id")
        seen.add(rid)
        if row["task"] not in TASKS or row["language"] not in LANGUAGES:
            problems.append(f"{rid}: task {row['task']!r} / language {row['language']!r}")
            continue
        try:
            msgs = json.loads(row["messages"])
            roles = [m["role"] for m in msgs]
            user_types = [part["type"] for part in msgs[0]["content"]]
            texts = [part["text"] for m in msgs for part in m["content"] if part["type"] == "text"]
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            problems.append(f"{rid}: malformed messages ({exc})")
            continue
        wants_image = row["task"] in IMAGE_TASKS
        if roles != ["user", "assistant"] or not all(t.strip() for t in texts):
            problems.append(f"{rid}: expected a non-empty user turn then an assistant turn")
        elif (user_types[0] == "image") != wants_image or bool(row["image_key"]) != wants_image:
            problems.append(f"{rid}: image part and image_key must match the task")
    return problems


MIN_PER_ITEM = 1.4  # the seed's ratio: 42,000 pairs from 30,000 items


def instructions_per_item(rows: Sequence[Row]) -> float:
    """Average number of instructions per distinct item (0 when there are none)."""
    items = {r["item_id"] for r in rows}
    return len(rows) / len(items) if items else 0.0


def missing_coverage(rows: Sequence[Row]) -> list[str]:
    """Seasons and category specifications that no instruction covers, as 'field=value'."""
    return [
        f"{field}={value}"
        for field, values in (
            ("season", SEASONS),
            ("category_specification", CATEGORY_SPECIFICATIONS),
        )
        for value in values
        if value not in {r[field] for r in rows}
    ]


def split_overlap(splits: Mapping[str, Sequence[Row]]) -> set[str]:
    """Item ids present in both the train and the eval split."""
    return {r["item_id"] for r in splits["train"]} & {r["item_id"] for r in splits["eval"]}


def counts_by(rows: Iterable[Row], *fields: str) -> dict[str, int]:
    """Counts per combination of fields, keyed 'a × b × c'."""
    return dict(sorted(Counter(" × ".join(str(r[f]) for f in fields) for r in rows).items()))
