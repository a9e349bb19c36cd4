"""Object storage: a local folder (the embedded default) or an S3-compatible bucket.

Keys are '/'-separated relative paths. Writes are atomic (a reader sees the old object or the
new one, never half of one), so a killed run leaves no torn files behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fashion_assets.settings import Settings


class StorageConfigError(RuntimeError):
    """The object store is misconfigured (missing bucket, unreachable endpoint, bad root)."""


class ObjectStore(Protocol):
    """What the pipeline needs from storage."""

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def keys(self, prefix: str = "") -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"invalid object key {key!r}")
    return key


class LocalObjectStore:
    """Objects as files under `root`."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).expanduser().resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageConfigError(
                f"cannot create the object store folder {self.root}: {exc}. "
                "Set FASHION_HOME (or FASHION_STORAGE_ROOT) to a writable folder."
            ) from exc

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; stored objects are world-readable files
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        base = self.root / prefix if prefix else self.root
        start = base if base.is_dir() else base.parent
        for path in sorted(start.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and rel.startswith(prefix) and not path.name.startswith(".tmp-"):
                yield rel

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()


class S3ObjectStore:
    """Objects in an S3-compatible bucket (AWS, MinIO, iwinv...) under an optional prefix."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        if not bucket:
            raise StorageConfigError("FASHION_S3_BUCKET is not set: name the bucket to use")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        try:
            client.head_bucket(Bucket=bucket)
        except Exception as exc:
            endpoint = getattr(getattr(client, "meta", None), "endpoint_url", "?")
            raise StorageConfigError(
                f"bucket {bucket!r} is not reachable at {endpoint}: {exc}. Create the bucket or "
                "set FASHION_S3_BUCKET / FASHION_S3_ENDPOINT_URL / AWS credentials."
            ) from exc

    def _full(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=self._full(key), Body=data, **extra)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._full(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return False
            raise
        return True

    def keys(self, prefix: str = "") -> Iterator[str]:
        full = self._full(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            for obj in page.get("Contents", []):
                yield obj["Key"][strip:]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full(key)}"


_IMAGE_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def content_key(data: bytes, image_format: str, prefix: str = "images") -> tuple[str, str]:
    """The content-addressed key of an image: '<prefix>/<sha[:2]>/<sha>.<ext>', and the sha256."""
    sha = hashlib.sha256(data).hexdigest()
    ext = _IMAGE_EXT.get(image_format.upper(), image_format.lower())
    return f"{prefix}/{sha[:2]}/{sha}.{ext}", sha


def store_from_settings(settings: Settings) -> ObjectStore:
    """The store the environment names (FASHION_STORAGE...): what code outside Dagster uses,
    such as the training entrypoint in a subprocess or a pod. Credentials come from the usual
    AWS variables, never from arguments."""
    if settings.fashion_storage == "s3":
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=settings.fashion_s3_endpoint_url or None,
            region_name=settings.fashion_s3_region or None,
        )
        return S3ObjectStore(client, settings.fashion_s3_bucket, settings.fashion_s3_prefix)
    return LocalObjectStore(settings.storage_root)


def put_folder(store: ObjectStore, folder: str | os.PathLike[str], prefix: str) -> list[str]:
    """Upload every file under `folder` to `prefix/<relative path>`; returns the keys."""
    root = Path(folder)
    keys = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = f"{prefix.rstrip('/')}/{path.relative_to(root).as_posix()}"
        store.put(key, path.read_bytes())
        keys.append(key)
    return keys


def get_folder(store: ObjectStore, prefix: str, folder: str | os.PathLike[str]) -> Path:
    """Download every object under `prefix/` into `folder` (the inverse of `put_folder`)."""
    root = Path(folder)
    prefix = prefix.rstrip("/") + "/"
    found = False
    for key in store.keys(prefix):
        target = root / key[len(prefix) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get(key))
        found = True
    if not found:
        raise KeyError(f"nothing stored under {prefix}")
    return root
