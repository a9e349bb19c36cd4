"""The object store contract, on a local folder and on a moto S3 server over HTTP."""

from __future__ import annotations

import boto3
import pytest

from fashion_assets.storage import LocalObjectStore, S3ObjectStore, StorageConfigError, content_key


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    env = request.getfixturevalue("s3_env")
    client = boto3.client("s3", endpoint_url=env["endpoint_url"], region_name="us-east-1")
    return S3ObjectStore(client, env["bucket"], prefix="team/prod")


def test_put_get_exists_keys_delete(store):
    store.put("images/ab/x.jpg", b"one", content_type="image/jpeg")
    store.put("assets/raw_items/2026-11-01.parquet", b"two")
    store.put("images/ab/x.jpg", b"three")  # overwrite
    assert store.get("images/ab/x.jpg") == b"three"
    assert store.exists("images/ab/x.jpg") and not store.exists("images/ab/y.jpg")
    assert list(store.keys("images/")) == ["images/ab/x.jpg"]
    assert sorted(store.keys()) == ["assets/raw_items/2026-11-01.parquet", "images/ab/x.jpg"]
    store.delete("images/ab/x.jpg")
    assert not store.exists("images/ab/x.jpg")
    with pytest.raises(KeyError):
        store.get("images/ab/x.jpg")


def test_keys_cannot_escape_the_store(store):
    for bad in ("/etc/passwd", "../x", "a/../../x", ""):
        with pytest.raises(ValueError, match="invalid object key"):
            store.put(bad, b"x")


def test_s3_prefix_is_applied(s3_env):
    client = boto3.client("s3", endpoint_url=s3_env["endpoint_url"], region_name="us-east-1")
    S3ObjectStore(client, s3_env["bucket"], prefix="team").put("a/b.txt", b"x")
    listed = client.list_objects_v2(Bucket=s3_env["bucket"])["Contents"]
    assert [o["Key"] for o in listed] == ["team/a/b.txt"]


def test_missing_bucket_fails_at_once_with_what_to_set(s3_env):
    client = boto3.client("s3", endpoint_url=s3_env["endpoint_url"], region_name="us-east-1")
    with pytest.raises(StorageConfigError, match="FASHION_S3_BUCKET"):
        S3ObjectStore(client, "no-such-bucket")
    with pytest.raises(StorageConfigError, match="FASHION_S3_BUCKET is not set"):
        S3ObjectStore(client, "")


def test_content_key_is_the_sha256():
    key, sha = content_key(b"abc", "JPEG")
    assert sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert key == f"images/ba/{sha}.jpg"
