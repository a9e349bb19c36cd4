"""Shared fixtures: the embedded PostgreSQL, a moto S3 server on 127.0.0.1, loopback sites."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest

from fashion_assets.db.server import embedded_database_url, stop_embedded

_db_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A FASHION_HOME whose embedded PostgreSQL runs for the whole session."""
    home = tmp_path_factory.mktemp("pg_home")
    embedded_database_url(home)
    yield home
    stop_embedded(home)


@pytest.fixture(scope="session")
def pg_server_url(pg_home: Path) -> str:
    return embedded_database_url(pg_home)


@pytest.fixture
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the embedded server (dropped afterwards)."""
    name = f"t{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server_url.replace("/postgres?", f"/{name}?")
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server over HTTP on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Credentials for moto, and a fresh bucket; returns the settings a user would export."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"fashion-{next(_db_counter)}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return {"endpoint_url": moto_endpoint, "bucket": bucket}


@pytest.fixture
def ingest_env(tmp_path, monkeypatch, database_url) -> dict[str, str]:
    """FASHION_HOME, DAGSTER_HOME and a fresh database for one pipeline test (240 demo items)."""
    env = {
        "FASHION_HOME": str(tmp_path / "home"),
        "DATABASE_URL": database_url,
        "FASHION_DEMO_ITEMS": "240",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    Path(env["DAGSTER_HOME"]).mkdir()
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
