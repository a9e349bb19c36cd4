"""Helpers shared by fixtures, tests and benchmarks (one module, so one counter)."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import time
from collections.abc import Iterator

import psycopg

_counter = itertools.count()


def unique_name() -> str:
    """A name no other database or bucket of this process has."""
    return f"t{os.getpid()}_{next(_counter)}"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fresh_database(pg_server_url: str) -> Iterator[str]:
    """A new, empty database on the embedded server, dropped afterwards; yields its URL."""
    name = unique_name()
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server_url.replace("/postgres?", f"/{name}?")
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def wait_for_http(url: str, seconds: float = 60) -> None:
    """Return once `url` answers 200; TimeoutError after `seconds`."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {seconds:.0f} s")
