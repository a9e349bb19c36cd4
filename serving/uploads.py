"""Uploaded and inline images: size limit (413), type check (415), decodable (422)."""

from __future__ import annotations

import base64
import binascii
import io
import re

from fastapi import HTTPException, UploadFile
from PIL import Image, UnidentifiedImageError

ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF"}
_DATA_URI = re.compile(r"^data:(image/[\w.+-]+);base64,(.*)$", re.S)


def decode_image(data: bytes, limit: int) -> Image.Image:
    """Bytes -> RGB image, or the HTTP error that says why not."""
    if len(data) > limit:
        raise HTTPException(413, f"image is {len(data)} bytes; the limit is {limit}")
    try:
        image = Image.open(io.BytesIO(data))
        image.verify()
        kind = image.format
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise HTTPException(422, f"not a decodable image: {exc}") from None
    if kind not in ACCEPTED:
        raise HTTPException(415, f"image type {kind} is not accepted; use {sorted(ACCEPTED)}")
    return image.convert("RGB")


def read_upload(file: UploadFile, limit: int) -> Image.Image:
    """An uploaded image, read no further than the limit. Blocking (the spooled file, the
    decode): call it from a sync endpoint, which FastAPI runs in its thread pool."""
    if file.content_type and not file.content_type.startswith("image/"):
        raise HTTPException(415, f"content type {file.content_type} is not an image")
    return decode_image(file.file.read(limit + 1), limit)


def decode_data_uri(uri: str, limit: int) -> Image.Image:
    """A `data:image/...;base64,` URI -> image."""
    match = _DATA_URI.match(uri)
    if not match:
        raise HTTPException(422, "images must be data:image/<type>;base64,<data> URIs")
    try:
        data = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "the image data URI is not valid base64") from None
    return decode_image(data, limit)
