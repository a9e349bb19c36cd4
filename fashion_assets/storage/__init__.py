"""Object storage: local folder by default, S3-compatible buckets in production."""

from fashion_assets.storage.object_store import (
    LocalObjectStore,
    ObjectStore,
    S3ObjectStore,
    StorageConfigError,
    content_key,
    get_folder,
    put_folder,
    store_from_settings,
)

__all__ = [
    "LocalObjectStore",
    "ObjectStore",
    "S3ObjectStore",
    "StorageConfigError",
    "content_key",
    "get_folder",
    "put_folder",
    "store_from_settings",
]
