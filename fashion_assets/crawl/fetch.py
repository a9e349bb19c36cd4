"""A polite HTTP fetcher: per-host concurrency and rate limit, retries with backoff that honour
`Retry-After`, timeouts, size and content-type limits, and a bounded redirect chain.

A fetch never raises for a bad response: it returns a `Fetched` whose `error` is one of
`FETCH_ERRORS`, with a human-readable `detail`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from fashion_assets import __version__

Kind = Literal["page", "image", "xml", "text"]
FETCH_ERRORS = (
    "http_error",
    "server_error",
    "rate_limited",
    "timeout",
    "connection_error",
    "too_large",
    "too_many_redirects",
    "redirect_loop",
    "bad_content_type",
    "robots_disallowed",
)
USER_AGENT = (
    f"fashion_assets-crawler/{__version__} (+https://github.com/fashion-assets/fashion_assets)"
)
_ACCEPT: dict[str, tuple[str, ...]] = {
    "page": ("text/html", "application/xhtml+xml"),
    "image": ("image/",),
    "xml": (
        "application/xml",
        "application/octet-stream",
        "text/xml",
        "application/x-xml",
        "text/plain",
        "application/gzip",
        "application/x-gzip",
    ),
    "text": ("text/plain",),
}


@dataclass(frozen=True)
class FetchPolicy:
    """Limits a crawl keeps; defaults suit a small shop."""

    user_agent: str = USER_AGENT
    timeout_s: float = 10.0
    max_page_bytes: int = 2_000_000
    max_image_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 3
    backoff_s: float = 0.5
    max_retry_after_s: float = 30.0
    per_host_concurrency: int = 4
    per_host_rps: float = 20.0

    def limit_for(self, kind: Kind) -> int:
        """The byte limit for a kind of resource."""
        return self.max_image_bytes if kind == "image" else self.max_page_bytes


@dataclass
class Fetched:
    """The outcome of one fetch."""

    url: str
    final_url: str
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    error: str | None = None
    detail: str = ""
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class HostSchedule(Protocol):
    """Hands out request start times per host; shared schedules span processes."""

    async def reserve(self, host: str, interval: float) -> float:
        """Take the host's next slot `interval` s after the previous one; seconds to wait."""
        ...

    async def aclose(self) -> None:
        """Release what the schedule holds (a database connection)."""
        ...


class LocalSchedule:
    """The schedule of one process (the default)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}

    async def reserve(self, host: str, interval: float) -> float:
        now = time.monotonic()
        start = max(now, self._next.get(host, 0.0))
        self._next[host] = start + interval
        return start - now

    async def aclose(self) -> None:
        pass


@dataclass
class _Host:
    name: str
    semaphore: asyncio.Semaphore
    interval: float
    schedule: HostSchedule

    async def wait_turn(self) -> None:
        if self.interval > 0:
            wait = await self.schedule.reserve(self.name, self.interval)
            if wait > 0:
                await asyncio.sleep(wait)


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP-date) into seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Retry(Exception):
    def __init__(self, error: str, detail: str, wait: float | None = None):
        super().__init__(detail)
        self.error, self.detail, self.wait = error, detail, wait


class Fetcher:
    """Fetch URLs politely; use as `async with Fetcher(policy) as f: await f.fetch(url, 'page')`.

    Requests to a host start at most every 1/rps seconds (or its Crawl-delay) by `schedule`:
    this process's own by default, or one shared by every run that crawls the host.
    """

    def __init__(self, policy: FetchPolicy | None = None, schedule: HostSchedule | None = None):
        self.policy = policy or FetchPolicy()
        self.schedule = schedule or LocalSchedule()
        self._hosts: dict[str, _Host] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        p = self.policy
        self._client = httpx.AsyncClient(
            headers={"User-Agent": p.user_agent},
            timeout=httpx.Timeout(p.timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._client is not None
        await self._client.aclose()

    def host(self, url: str) -> _Host:
        """The per-host limiter for a URL."""
        netloc = urlsplit(url).netloc
        if netloc not in self._hosts:
            rps = self.policy.per_host_rps
            self._hosts[netloc] = _Host(
                netloc,
                asyncio.Semaphore(self.policy.per_host_concurrency),
                1.0 / rps if rps > 0 else 0.0,
                self.schedule,
            )
        return self._hosts[netloc]

    def slow_down(self, url: str, seconds: float) -> None:
        """Raise a host's minimum interval between requests (robots.txt Crawl-delay)."""
        h = self.host(url)
        h.interval = max(h.interval, seconds)

    async def fetch(self, url: str, kind: Kind) -> Fetched:
        """Fetch `url`, retrying transient failures; never raises for a bad response."""
        result = Fetched(url=url, final_url=url)
        for attempt in range(self.policy.retries + 1):
            result.attempts = attempt + 1
            try:
                return await self._attempt(url, kind, result)
            except _Retry as r:
                result.error, result.detail = r.error, r.detail
                if attempt == self.policy.retries:
                    break
                if r.wait is not None and r.wait > self.policy.max_retry_after_s:
                    result.detail += f" (Retry-After {r.wait:.0f}s exceeds the limit)"
                    break
                backoff = self.policy.backoff_s * 2**attempt * (0.5 + random.random())
                await asyncio.sleep(r.wait if r.wait is not None else backoff)
        result.detail += f" (after {result.attempts} attempts)"
        return result

    async def _attempt(self, url: str, kind: Kind, result: Fetched) -> Fetched:
        assert self._client is not None, "use Fetcher as an async context manager"
        seen = [url]
        current = url
        while True:
            host = self.host(current)
            async with host.semaphore:
                await host.wait_turn()
                try:
                    outcome = await asyncio.wait_for(
                        self._get(current, kind), timeout=self.policy.timeout_s * 3
                    )
                except (httpx.TimeoutException, TimeoutError) as exc:
                    raise _Retry("timeout", f"no complete answer from {current}: {exc!r}") from exc
                except httpx.TransportError as exc:
                    raise _Retry("connection_error", f"{current}: {exc!r}") from exc
            status, headers, body, too_large = outcome
            result.status, result.final_url = status, current
            if status in (301, 302, 303, 307, 308) and "location" in headers:
                target = urljoin(current, headers["location"])
                if target in seen:
                    result.error, result.detail = "redirect_loop", " -> ".join([*seen, target])
                    return result
                seen.append(target)
                if len(seen) > self.policy.max_redirects + 1:
                    result.error = "too_many_redirects"
                    result.detail = f"more than {self.policy.max_redirects} redirects from {url}"
                    return result
                current = target
                continue
            break
        if status == 429:
            raise _Retry(
                "rate_limited",
                f"429 from {current}",
                retry_after_seconds(headers.get("retry-after")),
            )
        if status >= 500:
            raise _Retry(
                "server_error",
                f"{status} from {current}",
                retry_after_seconds(headers.get("retry-after")),
            )
        if status >= 400:
            result.error, result.detail = "http_error", f"{status} from {current}"
            return result
        if too_large:
            result.error = "too_large"
            result.detail = f"{current} is larger than {self.policy.limit_for(kind)} bytes"
            return result
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        result.content_type, result.body = ctype, body
        if not ctype.startswith(_ACCEPT[kind]):
            result.error = "bad_content_type"
            result.detail = f"expected {kind} from {current}, got {ctype or 'no content type'}"
        else:
            result.error, result.detail = None, ""
        return result

    async def _get(self, url: str, kind: Kind) -> tuple[int, httpx.Headers, bytes, bool]:
        assert self._client is not None
        limit = self.policy.limit_for(kind)
        async with self._client.stream("GET", url) as resp:
            declared = resp.headers.get("content-length")
            if resp.status_code < 300 and declared and declared.isdigit() and int(declared) > limit:
                return resp.status_code, resp.headers, b"", True
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    return resp.status_code, resp.headers, b"", True
                chunks.append(chunk)
            return resp.status_code, resp.headers, b"".join(chunks), False
