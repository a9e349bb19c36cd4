"""A crawl's raw pages, kept per partition so a past partition is re-extracted, never re-crawled.

One gzip-compressed JSON-lines object per source and partition
(`crawl/snapshots/<source>/<partition>.jsonl.gz`): a header line, then every page as fetched
(status, content type, body: text when it is UTF-8, base64 otherwise), every page that could
not be fetched with its reason, and the image rows of the crawl (images themselves are in the
object store, content-addressed). Extraction is not stored: replaying a snapshot runs today's
extraction on the pages of that day, so a fix to extraction can be backfilled.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FORMAT = 1


def snapshot_key(source: str, partition: str) -> str:
    """The object key of a source's snapshot for one partition."""
    return f"crawl/snapshots/{source}/{partition}.jsonl.gz"


@dataclass
class Page:
    """One fetched page."""

    url: str
    final_url: str
    status: int | None
    content_type: str
    body: bytes
    fetched_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class SnapshotWriter:
    """Compresses lines as the crawl goes; `data()` is the finished object."""

    def __init__(self, meta: dict[str, Any]):
        self._buffer = io.BytesIO()
        self._gzip = gzip.GzipFile(fileobj=self._buffer, mode="wb", compresslevel=1)
        self.pages = 0
        self._write({"kind": "meta", "format": FORMAT, **meta})

    def _write(self, line: dict[str, Any]) -> None:
        self._gzip.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")

    def page(self, page: Page) -> None:
        """Keep a fetched page."""
        try:
            body: dict[str, str] = {"body": page.body.decode("utf-8")}
        except UnicodeDecodeError:
            body = {"body_b64": base64.b64encode(page.body).decode()}
        self._write({"kind": "page", **{k: v for k, v in vars(page).items() if k != "body"},
                     **body})  # fmt: skip
        self.pages += 1

    def failure(self, failure: dict[str, str]) -> None:
        """Keep a page that could not be fetched, with its reason."""
        self._write({"kind": "failure", **failure})

    def image(self, row: dict[str, Any]) -> None:
        """Keep an image row (the bytes are in the object store)."""
        self._write({"kind": "image", **row})

    def data(self) -> bytes:
        """The compressed snapshot (closes the writer)."""
        self._gzip.close()
        return self._buffer.getvalue()


@dataclass
class Snapshot:
    """A snapshot read back."""

    meta: dict[str, Any]
    pages: list[Page]
    failures: list[dict[str, str]]
    images: dict[str, dict[str, Any]]


def _lines(data: bytes) -> Iterator[dict[str, Any]]:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
        for raw in fh:
            if raw.strip():
                yield json.loads(raw)


def read_snapshot(data: bytes) -> Snapshot:
    """Parse a snapshot; ValueError when the object is not one."""
    snap = Snapshot({}, [], [], {})
    try:
        for line in _lines(data):
            kind = line.pop("kind", None)
            if kind == "meta":
                snap.meta = line
            elif kind == "page":
                body = line.pop("body", None)
                raw = body.encode() if body is not None else base64.b64decode(line.pop("body_b64"))
                snap.pages.append(Page(**line, body=raw))
            elif kind == "failure":
                snap.failures.append(line)
            elif kind == "image":
                snap.images[line["image_url"]] = line
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a crawl snapshot: {exc}") from exc
    if snap.meta.get("format") != FORMAT:
        raise ValueError(f"not a crawl snapshot of format {FORMAT}: {snap.meta}")
    return snap
