"""Helpers shared by fixtures, tests and benchmarks (one module, so one counter)."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_counter = itertools.count()

#: The hang guard of the end-to-end tests whose own waits (whole demo runs, a webserver and daemon
#: starting, pod runs) add up past the suite's 300 s, with room for a machine whose CPUs other
#: work is also using (seen: two CPU hogs stretch them about 3x).
END_TO_END_TIMEOUT = pytest.mark.timeout(1200)


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


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with one call."""

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        """Send a complete response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@contextlib.contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 (a free port) from a thread; yields the origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def locked_pins(path: Path) -> dict[str, str]:
    """name -> version of a hash-locked requirements file, for the requirements whose markers hold
    here; asserts every requirement is pinned with a hash."""
    text = path.read_text()
    entries = re.findall(r"^([A-Za-z0-9_.\-][^\\\n]*?) \\\n\s+--hash=sha256:", text, re.M)
    listed = re.findall(r"^[A-Za-z0-9_.\-]", text, re.M)
    assert len(entries) == len(listed), f"every requirement in {path.name} carries a hash"
    pins = {}
    for line in entries:
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{line} in {path.name} is not pinned"
        if req.marker is None or req.marker.evaluate():
            pins[canonicalize_name(req.name)] = spec.version
    return pins
