"""Fetching product images into the object store, content-addressed, with their measurements.

Each image URL gives one row: `status` "ok" with sha256, object key, width, height and a
perceptual hash (dHash), or a reason from `IMAGE_FAILURES` with a detail. URLs may be http(s)
or file:// (catalog folders).
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from PIL import Image, UnidentifiedImageError

from fashion_assets.crawl.fetch import Fetcher, FetchPolicy
from fashion_assets.crawl.robots import Robots
from fashion_assets.storage import ObjectStore, content_key

IMAGE_FAILURES = (
    "missing_image",
    "broken_image",
    "image_too_large",
    "image_unavailable",
    "robots_disallowed",
)
MAX_PIXELS = 40_000_000


class BrokenImage(ValueError):
    """Bytes that do not decode to an image we can use."""

    reason = "broken_image"


class ImageTooLarge(BrokenImage):
    """An image whose pixel count exceeds MAX_PIXELS (a decompression bomb, or just huge)."""

    reason = "image_too_large"


def dhash(image: Image.Image, size: int = 8) -> str:
    """64-bit difference hash as 16 hex digits: near-identical pictures share it."""
    gray = image.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
    px = list(gray.getdata())
    bits = 0
    for row in range(size):
        for col in range(size):
            left, right = px[row * (size + 1) + col], px[row * (size + 1) + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


def inspect_image(data: bytes) -> dict[str, Any]:
    """Decode fully and measure: format, width, height, phash. Raises BrokenImage."""
    if not data:
        raise BrokenImage("zero bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ImageTooLarge(f"{img.width}x{img.height} exceeds {MAX_PIXELS} pixels")
                img.load()
                return {
                    "format": img.format or "JPEG",
                    "width": img.width,
                    "height": img.height,
                    "phash": dhash(img),
                }
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise BrokenImage(f"cannot decode: {exc}") from exc


def _from_fetch_error(error: str, status: int | None) -> str:
    if error == "http_error" and status in (404, 410):
        return "missing_image"
    return {"bad_content_type": "broken_image", "too_large": "image_too_large"}.get(
        error, "image_unavailable"
    )


def measure_image(url: str, data: bytes) -> dict[str, Any]:
    """The image row for bytes: measurements and content key, or the reason they are unusable."""
    try:
        info = inspect_image(data)
    except BrokenImage as exc:
        return {"image_url": url, "status": exc.reason, "detail": str(exc)}
    key, sha = content_key(data, info["format"])
    return {
        "image_url": url,
        "status": "ok",
        "detail": "",
        "sha256": sha,
        "image_key": key,
        "bytes": len(data),
        **info,
    }


def put_if_absent(store: ObjectStore, row: dict[str, Any], data: bytes) -> None:
    """Store an ok image under its content key unless it is already there."""
    if not store.exists(row["image_key"]):
        store.put(row["image_key"], data, content_type=Image.MIME.get(row["format"], "image/jpeg"))


def _read_file(url: str, limit: int) -> tuple[bytes | None, str, str]:
    path = Path(unquote(urlsplit(url).path))
    if not path.is_file():
        return None, "missing_image", f"{path} does not exist"
    if path.stat().st_size > limit:
        return None, "image_too_large", f"{path} is larger than {limit} bytes"
    return path.read_bytes(), "", ""


async def fetch_images(
    urls: Iterable[str],
    store: ObjectStore,
    fetcher: Fetcher | None = None,
    robots: Robots | None = None,
    concurrency: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per distinct URL, in the order given.

    http(s) images go through the crawl's `fetcher` (its per-host schedule, retries and limits)
    and `robots`, like its pages; file:// images (catalog folders) are read directly.
    """
    unique = list(dict.fromkeys(urls))
    if fetcher is None and any(not u.startswith("file://") for u in unique):
        raise ValueError("http(s) images are fetched through the crawl's Fetcher: pass it")
    rows: dict[str, dict[str, Any]] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        async with gate:
            if url.startswith("file://"):
                limit = (fetcher.policy if fetcher else FetchPolicy()).max_image_bytes
                data, error, detail = _read_file(url, limit)
            elif robots is not None and not await robots.allowed(url):
                data, error, detail = None, "robots_disallowed", "robots.txt disallows this image"
            else:
                assert fetcher is not None
                got = await fetcher.fetch(url, "image")
                data = got.body if got.ok else None
                error = "" if got.ok else _from_fetch_error(got.error or "", got.status)
                detail = got.detail
            if data is None:
                rows[url] = {"image_url": url, "status": error, "detail": detail}
            else:
                # decoding is CPU work, done here; storage may be a network round trip
                row = measure_image(url, data)
                if row["status"] == "ok":
                    await asyncio.to_thread(put_if_absent, store, row, data)
                rows[url] = row
        if progress:
            progress(len(rows), len(unique))

    await asyncio.gather(*(one(u) for u in unique))
    return [rows[u] for u in unique]
