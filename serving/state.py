"""What the services share: settings, the connection pool, the object store, loaded models."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cached_property, partial
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import Depends, HTTPException, Request
from psycopg_pool import ConnectionPool, PoolTimeout

from fashion_assets.db.schema import migrate
from fashion_assets.db.server import database_url, redact
from fashion_assets.embed.clip import ClipEncoder
from fashion_assets.embed.spec import ClipSpec
from fashion_assets.embed.tuned import resolve_spec
from fashion_assets.search.hybrid import LexicalIndexCache
from fashion_assets.settings import Settings
from fashion_assets.storage import ObjectStore, store_from_settings

from .batching import TextBatcher

#: A pooled connection handed back within this many seconds is lent again without a check.
CHECK_BYPASS_S = 0.5
#: Threads for the requests' blocking work (as many as Starlette's thread pool allows).
REQUEST_THREADS = 40
T = TypeVar("T")


class RecentUseCheck:
    """The pool's connection check, skipped for a connection returned moments ago (as
    HikariCP does): under load every request would otherwise pay a round trip for it, while a
    connection idle long enough for the database to have gone away is still checked. A
    connection that breaks in use fails that request with a 503 and the pool replaces it."""

    def __init__(self) -> None:
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection, float] = (
            weakref.WeakKeyDictionary()
        )

    def returned(self, conn: psycopg.Connection) -> None:
        """The pool's `reset` callback: note when the connection came back."""
        self._returned[conn] = time.monotonic()

    def check(self, conn: psycopg.Connection) -> None:
        """The pool's `check` callback."""
        if time.monotonic() - self._returned.get(conn, float("-inf")) > CHECK_BYPASS_S:
            ConnectionPool.check_connection(conn)


class ServiceState:
    """Lazily opened resources; each is created once per process, on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._requests = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="request")
        self._migrated = False
        self.vlm: Any = None  # the VLM service's model (serving.vlm.LoadedVlm)
        self.lexical = LexicalIndexCache()
        self.encode_texts = TextBatcher(
            lambda texts: self.encoder.encode_texts(texts), settings.fashion_clip_batch_size
        )
        """CLIP text embeddings through the current encoder; concurrent requests share passes."""

    @cached_property
    def database_url(self) -> str:
        """DATABASE_URL, or the embedded server under FASHION_HOME (started if needed)."""
        return database_url(self.settings)

    @cached_property
    def store(self) -> ObjectStore:
        """The object store (images, checkpoints, adapters)."""
        return store_from_settings(self.settings)

    @cached_property
    def encoder(self) -> ClipEncoder:
        """The CLIP encoder the settings name, or its promoted fine-tuned weights (the same
        one the pipeline embeds with)."""
        s = self.settings
        spec = ClipSpec(s.fashion_clip_model, s.fashion_clip_pretrained, s.fashion_clip_device,
                        batch_size=s.fashion_clip_batch_size)  # fmt: skip
        return ClipEncoder(resolve_spec(spec, self.store, s.home), s.home)

    def encoder_for(self, version: str) -> ClipEncoder:
        """The encoder, loaded again once when the live vectors hold another version (a
        fine-tuned model was promoted and `item_vectors` rebuilt since it was loaded)."""
        if self.encoder.version != version:
            with self._lock:
                self.__dict__.pop("encoder", None)
        return self.encoder

    def _open_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                recent = RecentUseCheck()
                self._pool = ConnectionPool(
                    self.database_url, min_size=1, max_size=8, open=True,
                    kwargs={"autocommit": True, "connect_timeout": 3},
                    check=recent.check, reset=recent.returned, timeout=3,
                )  # fmt: skip
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; an unreachable database is a 503 that says what is wrong, and
        the pool recovers by itself once the database is back."""
        try:
            with self._open_pool().connection() as conn:
                if not self._migrated:
                    migrate(conn)
                    self._migrated = True
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise HTTPException(
                503, f"the catalogue database at {redact(self.database_url)} is unavailable: "
                f"{str(exc).strip()[:200]}",
            ) from None  # fmt: skip

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work(*args, **kwargs)` on the request threads, off the event loop. Starlette's
        `run_in_threadpool` does the same through anyio's capacity limiter, task bookkeeping and
        a Python queue per call; an executor hand-off costs the API process less CPU per request
        (bench/search_api.py)."""
        call = partial(contextvars.copy_context().run, work, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._requests, call)

    def close(self) -> None:
        """Close the pool and the request threads (on shutdown)."""
        self._requests.shutdown(wait=False, cancel_futures=True)
        if self._pool is not None:
            self._pool.close()


async def _state(request: Request) -> ServiceState:
    # async: FastAPI runs a plain-def dependency in the thread pool, a hand-off per request
    return request.app.state.services


#: Endpoint parameter type for the shared state.
State = Annotated[ServiceState, Depends(_state)]
