"""The crawler against a hostile loopback shop: every good product kept, every bad one recorded
with its reason, nothing crashes."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import subprocess
import sys
import time
import tracemalloc
from urllib.parse import urlsplit

import httpx
import pytest

from fashion_assets.crawl.crawler import crawl_site
from fashion_assets.crawl.demo_site import serve_folder
from fashion_assets.crawl.fetch import Fetcher, FetchPolicy, LocalSchedule, retry_after_seconds
from fashion_assets.crawl.robots import Robots
from fashion_assets.crawl.sitemap import parse_sitemap
from fashion_assets.crawl.snapshot import Page, SnapshotWriter, read_snapshot
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore
from fashion_assets_tests.helpers import QuietHandler, loopback_server
from fashion_assets_tests.hostile_shop import EXPECTED, HostileShop, product_page

POLICY = FetchPolicy(
    timeout_s=1.0,
    retries=2,
    backoff_s=0.05,
    max_image_bytes=100_000,
    max_redirects=3,
    per_host_rps=0,
    per_host_concurrency=8,
)


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    shop = HostileShop(slow_s=4.0, huge_bytes=150_000)
    store = LocalObjectStore(tmp_path_factory.mktemp("objects"))
    with shop.serve() as origin:
        result = asyncio.run(crawl_site(origin, store, SnapshotWriter({}), policy=POLICY))
    items, rejects = clean(
        "hostile", result.records, {i["image_url"]: i for i in result.images}, result.failures
    )
    return shop, result, items, rejects, store


def test_every_good_product_is_kept(hostile_crawl):
    _, _, items, _, store = hostile_crawl
    kept = {i["sku"] for i in items}
    assert kept == {"G1", "G2", "G3", "F5", "RL"}
    for item in items:
        assert store.exists(item["image_key"])
        assert item["category"] == "04bottom_01pants"
        assert item["specs"] == {"pant.silhouette": "wide"}
    colours = {i["sku"]: i["color"] for i in items}
    assert colours["G2"] == "Green" and colours["RL"] == "Brown"


def test_every_bad_page_or_product_is_recorded_with_its_reason(hostile_crawl):
    _, _, _, rejects, _ = hostile_crawl
    by_path = {urlsplit(r["url"]).path: r["reason"] for r in rejects}
    for path, reason in EXPECTED.items():
        if reason not in (None, "duplicate_of_good1"):
            assert by_path.get(path) == reason, (path, by_path.get(path))
    # one product under two URLs: exactly one URL is kept, the other is a recorded duplicate
    twins = [by_path.get("/p/good1.html"), by_path.get("/p/good1-alt.html")]
    assert sorted(twins, key=str) == [None, "duplicate"]
    assert any(r["reason"] == "broken_sitemap" for r in rejects)
    detail = next(r["detail"] for r in rejects if r["url"].endswith("/p/always500.html"))
    assert detail.endswith(f"(after {POLICY.retries + 1} attempts)")
    assert all(r["detail"] for r in rejects)


def test_retries_honour_retry_after_and_recover_from_a_500(hostile_crawl):
    shop, *_ = hostile_crawl
    first, second = shop.hits["/p/ratelimited.html"][:2]
    assert second - first >= 0.95
    assert len(shop.hits["/p/flaky500.html"]) == 2
    assert len(shop.hits["/p/always500.html"]) == POLICY.retries + 1
    assert "/private/secret.html" not in shop.hits, "robots.txt disallow was not honoured"


def test_every_request_names_the_project(hostile_crawl):
    shop, *_ = hostile_crawl
    assert shop.agents and all(a.startswith("fashion_assets-crawler/") for a in shop.agents)


def test_crawl_delay_from_robots_txt_spaces_requests(tmp_path):
    pages = [f"p{i}.html" for i in range(4)]
    for name in pages:
        (tmp_path / name).write_text(product_page(name, "/x.jpg"))
    (tmp_path / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.25\n")
    with serve_folder(tmp_path) as origin:
        urls = "".join(f"<url><loc>{origin}/{p}</loc></url>" for p in pages)
        (tmp_path / "sitemap.xml").write_text(f"<urlset>{urls}</urlset>")
        started = time.monotonic()
        store = LocalObjectStore(tmp_path / "objects")
        result = asyncio.run(crawl_site(origin, store, SnapshotWriter({}), policy=POLICY))
        elapsed = time.monotonic() - started
    assert len(result.records) == 4
    assert elapsed >= 0.25 * 4, "robots.txt, sitemap and 4 pages must be 0.25 s apart"


def test_demo_server_exits_when_its_parent_is_killed(tmp_path):
    script = (
        "import sys, time; from pathlib import Path\n"
        "from fashion_assets.crawl.demo_site import serve_folder\n"
        "with serve_folder(Path(sys.argv[1])) as origin:\n"
        "    print(origin, flush=True); time.sleep(60)\n"
    )
    (tmp_path / "index.html").write_text("hi")
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    origin = parent.stdout.readline().strip()
    assert httpx.get(origin + "/index.html").text == "hi"
    parent.kill()  # SIGKILL: no cleanup code runs in the parent
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(origin + "/index.html", timeout=0.5)
        except httpx.TransportError:
            return
        time.sleep(0.1)
    pytest.fail("the demo shop server outlived its parent")


def test_redirects_are_followed_and_bounded(hostile_crawl):
    shop, result, *_ = hostile_crawl
    final = [r for r in result.records if r["sku"] == "G3"]
    assert final and final[0]["url"].endswith("/p/final.html")
    assert len([p for p in shop.hits if p.startswith("/p/hops")]) == POLICY.max_redirects + 1


def test_retry_after_parses_seconds_and_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None


def test_sitemap_rejects_non_sitemaps():
    with pytest.raises(ValueError, match="not a sitemap"):
        parse_sitemap(b"<html></html>")
    entries, children = parse_sitemap(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>a</loc>'
        b"<lastmod>2026-11-01</lastmod></url></urlset>"
    )
    assert entries[0].loc == "a" and entries[0].lastmod == "2026-11-01" and children == []


@contextlib.contextmanager
def _routes(routes: dict[str, tuple[int, str, bytes]]):
    """A loopback server answering fixed routes (404 elsewhere); yields (origin, hit paths)."""
    hits: list[str] = []

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            status, ctype, body = routes.get(self.path, (404, "text/html", b"not found"))
            self.reply(status, body, ctype)

    with loopback_server(Handler) as origin:
        yield origin, hits


ROBOTS = (
    "User-agent: *\nDisallow: /\nAllow: /products/\nAllow: /*.html$\nDisallow: /products/*?sort=\n"
    "\nUser-agent: fashion_assets-crawler\nDisallow: /private/\nAllow: /private/public.html\n"
    "Crawl-delay: 0.5\n"
)


async def _allowed(origin: str, paths: list[str]) -> tuple[list[bool], float]:
    async with Fetcher(POLICY) as fetcher:
        robots = Robots(fetcher)
        return [await robots.allowed(origin + p) for p in paths], fetcher.host(origin).interval


def test_robots_txt_follows_rfc_9309():
    # the group naming our product token wins over "*"; inside it the longest match wins
    with _routes({"/robots.txt": (200, "text/plain", ROBOTS.encode())}) as (origin, _):
        allowed, interval = asyncio.run(
            _allowed(origin, ["/products/a", "/private/x", "/private/public.html", "/x.html"])
        )
    assert allowed == [True, False, True, True]
    assert interval == 0.5, "a fractional Crawl-delay spaces our requests"
    star = (
        "User-agent: *\nDisallow: /\nAllow: /products/\nAllow: /*.html$\n"
        "Disallow: /products/*?sort=\n"
    )
    with _routes({"/robots.txt": (200, "text/plain", star.encode())}) as (origin, _):
        allowed, _ = asyncio.run(
            _allowed(
                origin,
                ["/products/a", "/products/a?sort=price", "/about", "/x.html", "/x.html?y=1"],
            )
        )
    assert allowed == [True, False, False, True, False]


@pytest.mark.parametrize(("status", "expected"), [(404, True), (503, False)])
def test_missing_robots_allows_and_unreachable_robots_disallows(status, expected):
    with _routes({"/robots.txt": (status, "text/plain", b"")}) as (origin, _):
        allowed, _ = asyncio.run(_allowed(origin, ["/products/a"]))
    assert allowed == [expected]


def test_a_gzip_bomb_sitemap_is_refused_with_its_reason_in_bounded_memory(tmp_path):
    bomb = gzip.compress(b"<urlset>" + b" " * 300_000_000, compresslevel=9)
    assert len(bomb) < POLICY.max_page_bytes
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="expands past 1000000 bytes"):
            parse_sitemap(bomb, limit=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000
    routes = {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
        "/sitemap.xml": (200, "application/x-gzip", bomb),
    }
    with _routes(routes) as (origin, _):
        result = asyncio.run(
            crawl_site(origin, LocalObjectStore(tmp_path), SnapshotWriter({}), policy=POLICY)
        )
    assert [(f["reason"], "expands past" in f["detail"]) for f in result.failures] == [
        ("broken_sitemap", True)
    ]


def test_images_go_through_the_crawls_robots_and_schedule(tmp_path):
    page = product_page("IMG1", "/private-img/a.jpg").encode()
    routes = {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private-img/\n"),
        "/sitemap.xml": (200, "application/xml", b""),
        "/p/1.html": (200, "text/html", page),
    }
    with _routes(routes) as (origin, hits):
        routes["/sitemap.xml"] = (
            200, "application/xml", f"<urlset><url><loc>{origin}/p/1.html</loc></url></urlset>"
            .encode(),
        )  # fmt: skip
        reserved: list[str] = []

        class Recording(LocalSchedule):
            async def reserve(self, host: str, interval: float) -> float:
                reserved.append(host)
                return await super().reserve(host, interval)

        polite = FetchPolicy(per_host_rps=50, per_host_concurrency=2, timeout_s=2)
        result = asyncio.run(
            crawl_site(
                origin,
                LocalObjectStore(tmp_path),
                SnapshotWriter({}),
                policy=polite,
                schedule=Recording(),
            )
        )
    assert [(i["status"], i["detail"]) for i in result.images] == [
        ("robots_disallowed", "robots.txt disallows this image")
    ]
    assert "/private-img/a.jpg" not in hits
    assert len(reserved) == len(hits) == 3  # robots.txt, sitemap, page: one schedule for all


def test_a_snapshot_keeps_pages_byte_for_byte():
    writer = SnapshotWriter({"source": "s"})
    korean = "<html>울 코트</html>".encode("cp949")
    writer.page(Page("u1", "u1", 200, "text/html", b"<html>ok</html>"))
    writer.page(Page("u2", "u2", 200, "text/html", korean))
    writer.failure({"url": "u3", "reason": "timeout", "detail": "slow"})
    writer.image({"image_url": "i1", "status": "ok"})
    snap = read_snapshot(writer.data())
    assert [p.body for p in snap.pages] == [b"<html>ok</html>", korean]
    assert snap.failures == [{"url": "u3", "reason": "timeout", "detail": "slow"}]
    assert snap.images == {"i1": {"image_url": "i1", "status": "ok"}}
    assert snap.meta["source"] == "s"
    with pytest.raises(ValueError, match="not a crawl snapshot"):
        read_snapshot(b"not gzip")
