"""A served catalogue for the serving tests: the demo shop as `make demo` builds it (2,000
products) ingested, CLIP tuned on it and promoted, its vectors and the item tower vectors
published, once per session; and a uvicorn server on 127.0.0.1 for browser and load tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from fashion_assets_tests.helpers import free_port, fresh_database, wait_for_http
from fashion_assets_tests.pipeline import (
    CLIP,
    TINY_CLIP,
    TINY_TOWER,
    TOWER,
    materialize,
    materialize_ingest,
)


@contextmanager
def served_catalogue(pg_server_url: str, home: Path) -> Iterator[dict[str, str]]:
    """Environment of a catalogue with items, a promoted tuned CLIP, item_vectors and
    tower_vectors."""

    with fresh_database(pg_server_url) as url, pytest.MonkeyPatch.context() as mp:
        env = {"FASHION_HOME": str(home / "home"), "DATABASE_URL": url,
               "FASHION_DEMO_ITEMS": "2000", "DAGSTER_HOME": str(home / "dagster")}  # fmt: skip
        (home / "dagster").mkdir(parents=True)
        for key, value in env.items():
            mp.setenv(key, value)
        assert materialize_ingest().success
        assert materialize(CLIP, run_config=TINY_CLIP).success
        assert materialize(TOWER, run_config=TINY_TOWER).success
        yield env


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/docs", 20)
    yield base
    server.should_exit = True
    thread.join(10)
