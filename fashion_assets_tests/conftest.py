"""Shared fixtures: the embedded PostgreSQL, a moto S3 server on 127.0.0.1, loopback sites."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from dagster._core.pipes import utils as dagster_pipes_utils

from fashion_assets.db.server import embedded_database_url, stop_embedded
from fashion_assets_tests.helpers import free_port, fresh_database, unique_name
from fashion_assets_tests.runpod_standin import RunPodStandIn


def pytest_configure() -> None:
    """On a pytest-xdist worker, torch (here and in the processes the tests start) runs one
    thread: two workers each with an OpenMP team as wide as the machine spin against each
    other (seen on two cores: tests 2 to 4x slower when two training steps met, the suite
    9 min 44 s instead of 5 min 24 s)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the suite on pytest-xdist workers with `--dist loadgroup`: each module
    is one group (its module fixtures are built once), and the modules that use the served
    catalogue share a group, so that session fixture is built on one worker only."""
    shared = {item.module.__name__ for item in items if "catalogue" in item.fixturenames}
    for item in items:
        module = item.module.__name__
        item.add_marker(pytest.mark.xdist_group("catalogue" if module in shared else module))


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
    """A fresh, empty database for one test."""
    with fresh_database(pg_server_url) as url:
        yield url


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
    bucket = f"fashion-{unique_name().replace('_', '-')}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return {"endpoint_url": moto_endpoint, "bucket": bucket}


@pytest.fixture
def s3_storage(s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """FASHION_STORAGE=s3 on moto's fresh bucket."""
    monkeypatch.setenv("FASHION_STORAGE", "s3")
    monkeypatch.setenv("FASHION_S3_BUCKET", s3_env["bucket"])
    monkeypatch.setenv("FASHION_S3_ENDPOINT_URL", s3_env["endpoint_url"])
    return s3_env


@pytest.fixture
def runpod(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunPodStandIn]:
    """The RunPod API stand-in on 127.0.0.1, with the SDK pointed at it. A Pipes session that
    ends without the remote's closing message (every failing pod) keeps reading S3 for 10 s for
    late message chunks; the stand-in's pods write none once they are gone, so 1 s does here."""
    monkeypatch.setattr(dagster_pipes_utils, "WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL", 1)
    standin = RunPodStandIn()
    monkeypatch.setenv("RUNPOD_API_BASE_URL", standin.url)
    monkeypatch.setenv("RUNPOD_API_KEY", "test-key")
    yield standin
    standin.close()


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


@pytest.fixture(scope="session")
def catalogue(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One served catalogue (items, CLIP and item tower vectors) for the serving tests."""
    from fashion_assets_tests.serving_fixtures import served_catalogue

    with served_catalogue(pg_server_url, tmp_path_factory.mktemp("served")) as env:
        yield env


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Mllama and its processor, built from a config."""
    from fashion_assets.vlm.tiny import build_tiny_mllama

    return build_tiny_mllama(tmp_path_factory.mktemp("vlm") / "tiny-mllama")
