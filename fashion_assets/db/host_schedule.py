"""A per-host request schedule in PostgreSQL, shared by every run that crawls the same host.

Each request takes the host's next slot in one atomic upsert: the slot starts where the last one
ended (or now) and the row moves on by the caller's interval. Four backfill runs crawling one
shop at once therefore keep one politeness budget between them, not four. The database clock
decides, so processes on different machines agree.
"""

from __future__ import annotations

import asyncio

import psycopg

_RESERVE = """
INSERT INTO crawl_host_schedule AS s (host, next_at)
VALUES (%(host)s, clock_timestamp() + make_interval(secs => %(interval)s))
ON CONFLICT (host) DO UPDATE
    SET next_at = greatest(s.next_at, clock_timestamp()) + make_interval(secs => %(interval)s)
RETURNING extract(epoch FROM s.next_at - clock_timestamp()) - %(interval)s
"""


class PostgresHostSchedule:
    """`HostSchedule` on the `crawl_host_schedule` table (migrated by `db.schema`)."""

    def __init__(self, url: str):
        self.url = url
        self._conn: psycopg.AsyncConnection | None = None
        self._lock: asyncio.Lock | None = None

    async def reserve(self, host: str, interval: float) -> float:
        """Take the host's next slot; seconds until it starts."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._conn is None:
                self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            cur = await self._conn.execute(
                _RESERVE, {"host": host, "interval": interval}, prepare=False
            )
            row = await cur.fetchone()
        return max(0.0, float(row[0])) if row else 0.0

    async def aclose(self) -> None:
        """Close the connection (the schedule can be used again: it reconnects)."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        self._lock = None
