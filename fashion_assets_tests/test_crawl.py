"""The crawler against a hostile loopback shop: every good product kept, every bad one recorded
with its reason, nothing crashes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from fashion_assets.crawl.crawler import crawl_site
from fashion_assets.crawl.demo_site import serve_folder
from fashion_assets.crawl.fetch import FetchPolicy, retry_after_seconds
from fashion_assets.crawl.images import fetch_images
from fashion_assets.crawl.jsonld import extract_products, map_product
from fashion_assets.crawl.robots import crawl_delay
from fashion_assets.crawl.sitemap import parse_sitemap
from fashion_assets.preprocess.clean import clean
from fashion_assets.storage import LocalObjectStore
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
        result = asyncio.run(crawl_site(origin, policy=POLICY))
        urls = [r["image_url"] for r in result.records]
        images = asyncio.run(fetch_images(urls, store, POLICY))
    items, rejects = clean(
        "hostile", result.records, {i["image_url"]: i for i in images}, result.failures
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
        result = asyncio.run(crawl_site(origin, policy=POLICY))
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


def test_json_ld_graph_lists_and_field_map():
    html = (
        '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, '
        '{"@type": ["Product"], "name": "Coat", "sku": 7, "image": [{"url": "/a.jpg"}], '
        '"additionalProperty": [{"name": "Shell", "value": "Wool 80%"}]}]}</script>'
    )
    products, errors = extract_products(html)
    assert len(products) == 1 and not errors
    record = map_product(products[0], "https://shop.example/p/7", {"Shell": "material"})
    assert record["sku"] == "7" and record["image_url"] == "https://shop.example/a.jpg"
    assert record["fields"]["material"] == "Wool 80%"
    with pytest.raises(ValueError, match="unknown fields"):
        map_product(products[0], "https://shop.example/p/7", {"Shell": "fabricc"})


def test_sitemap_rejects_non_sitemaps():
    with pytest.raises(ValueError, match="not a sitemap"):
        parse_sitemap(b"<html></html>")
    entries, children = parse_sitemap(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>a</loc>'
        b"<lastmod>2026-11-01</lastmod></url></urlset>"
    )
    assert entries[0].loc == "a" and entries[0].lastmod == "2026-11-01" and children == []


def test_crawl_delay_parsing_picks_our_group_and_allows_fractions():
    ua = "fashion_assets-crawler/0.1"
    assert crawl_delay("User-agent: *\nCrawl-delay: 0.25\n", ua) == 0.25
    text = (
        "User-agent: googlebot\nCrawl-delay: 5\n\nUser-agent: FASHION_ASSETS-CRAWLER\n"
        "User-agent: bing\nDisallow: /x\nCrawl-delay: 2\nUser-agent: *\nCrawl-delay: 1\n"
    )
    assert crawl_delay(text, ua) == 2.0
    assert crawl_delay("User-agent: googlebot\nCrawl-delay: 5\n", ua) is None
    assert (
        crawl_delay("User-agent: fashion\nCrawl-delay: 9\nUser-agent: *\nCrawl-delay: x", ua)
        is None
    )
