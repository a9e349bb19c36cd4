"""The demo shop as a static site, served on 127.0.0.1 for the duration of a crawl.

Layout under `root` (FASHION_HOME/demo_shop/seed<S>-n<N>/):
  images/<sku>.jpg              drawn once per shop and reused by every date
  dates/<YYYY-MM-DD>/           one site per crawl date: index.html, list/<n>.html,
                                products/<sku>.html (schema.org Product JSON-LD), images -> ../../images
At serve time `robots.txt` and the sitemap (an index over product sitemaps) are written with the
server's origin, since sitemaps need absolute URLs.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from fashion_assets.crawl.demo_catalog import DemoProduct, demo_catalog
from fashion_assets.crawl.garment_images import draw_garment

PAGE_SIZE = 48
SITEMAP_CHUNK = 10_000


def _jsonld(p: DemoProduct) -> dict[str, object]:
    audience = {"male": "male", "female": "female", "both": "unisex"}[p.gender]
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.title,
        "sku": p.sku,
        "brand": {"@type": "Brand", "name": p.brand},
        "image": f"../images/{p.sku}.jpg",
        "color": p.color_label,
        "material": p.material,
        "category": p.category_label,
        "audience": {
            "@type": "PeopleAudience",
            "suggestedGender": audience,
            **({"suggestedMaxAge": 12} if p.age_group == "kids" else {}),
        },
        "releaseDate": p.listed_on.isoformat(),
        "offers": {
            "@type": "Offer",
            "price": p.price,
            "priceCurrency": "KRW",
            "availability": "https://schema.org/InStock",
        },
        "additionalProperty": [
            {"@type": "PropertyValue", "name": n, "value": v} for n, v in p.properties()
        ],
    }


def _product_page(p: DemoProduct) -> str:
    data = json.dumps(_jsonld(p), ensure_ascii=False).replace("</", "<\\/")
    title = html.escape(p.title)
    return (
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title>'
        f'<script type="application/ld+json">{data}</script></head><body>'
        f'<a href="../index.html">데모샵</a><h1>{title}</h1>'
        f'<img src="../images/{p.sku}.jpg" alt="{title}" width="224" height="224">'
        f"<p>{p.price:,}원</p><p>{html.escape(p.material)}</p></body></html>"
    )


def _list_page(n: int, pages: int, chunk: list[DemoProduct]) -> str:
    cards = "".join(
        f'<li><a href="../products/{p.sku}.html"><img src="../images/{p.sku}.jpg" width="112" '
        f'height="112" alt=""><span>{html.escape(p.title)}</span></a> {p.price:,}원</li>'
        for p in chunk
    )
    nav = " ".join(f'<a href="{k}.html">{k}</a>' for k in range(1, pages + 1))
    return (
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>데모샵 {n}'
        f"</title></head><body><ul>{cards}</ul><nav>{nav}</nav></body></html>"
    )


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)


def _ensure_images(root: Path, products: list[DemoProduct]) -> None:
    images = root / "images"
    images.mkdir(parents=True, exist_ok=True)
    for p in products:
        target = images / f"{p.sku}.jpg"
        if target.exists():
            continue
        data = draw_garment(
            p.category,
            p.rgb,
            p.pattern,
            p.specs.get("top.sleeve_length_type", "long sleeves"),
            seed=p.index,
        )
        fd, tmp = tempfile.mkstemp(dir=images, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)


def build_demo_site(home: Path, items: int, seed: int, as_of: date) -> Path:
    """Write (once) the demo shop as of `as_of`; returns the folder to serve."""
    root = Path(home) / "demo_shop" / f"seed{seed}-n{items}"
    site = root / "dates" / as_of.isoformat()
    if (site / "index.html").exists():
        return site
    products = demo_catalog(items, seed, as_of)
    _ensure_images(root, products)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-site-"))
    try:
        for p in products:
            page = _product_page(p)
            _write(tmp / "products" / f"{p.sku}.html", page)
            if p.alternate_url:  # the same product reachable under a second URL
                _write(tmp / "sale" / f"{p.sku}.html", page)
        pages = max(1, -(-len(products) // PAGE_SIZE))
        for n in range(1, pages + 1):
            chunk = products[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]
            _write(tmp / "list" / f"{n}.html", _list_page(n, pages, chunk))
        _write(
            tmp / "index.html",
            '<!doctype html><meta charset="utf-8"><title>데모샵</title>'
            '<a href="list/1.html">전체 상품</a>',
        )
        (tmp / "images").symlink_to(Path("..") / ".." / "images")
        manifest = [f"products/{p.sku}.html" for p in products]
        manifest += [f"sale/{p.sku}.html" for p in products if p.alternate_url]
        _write(tmp / "pages.json", json.dumps(manifest))
        site.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.rename(site)
        except OSError:  # another process finished the same site first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return site


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the crawl opens up to 32 connections; the default backlog is 5


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_forever(folder: Path) -> None:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _Server(("127.0.0.1", 0), handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    # stdin is a pipe from the parent: end of file means the parent is gone, however it died
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server.serve_forever()


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (a free port); yields the origin URL.

    The server runs in a child process so that it does not share the crawler's GIL.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "fashion_assets.crawl.demo_site", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        origin = proc.stdout.readline().strip()
        if not origin.startswith("http://"):
            raise RuntimeError(f"the demo shop server did not start (exit {proc.poll()})")
        yield origin
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # end of file: the server exits at once (see _serve_forever)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def serve_demo_shop(home: Path, items: int, seed: int, as_of: date) -> Iterator[str]:
    """Build the demo shop as of `as_of` and serve it; yields its origin URL."""
    site = build_demo_site(home, items, seed, as_of)
    pages = json.loads((site / "pages.json").read_text())
    serve_root = Path(tempfile.mkdtemp(prefix="demo-shop-"))
    try:
        for entry in os.listdir(site):
            (serve_root / entry).symlink_to(site / entry)
        with serve_folder(serve_root) as origin:
            chunks = [pages[i : i + SITEMAP_CHUNK] for i in range(0, len(pages), SITEMAP_CHUNK)]
            for k, chunk in enumerate(chunks or [[]]):
                urls = "".join(f"<url><loc>{origin}/{u}</loc></url>" for u in chunk)
                _write(
                    serve_root / f"sitemap-products-{k}.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                    f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
                )
            index = "".join(
                f"<sitemap><loc>{origin}/sitemap-products-{k}.xml</loc></sitemap>"
                for k in range(len(chunks or [[]]))
            )
            _write(
                serve_root / "sitemap.xml",
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
                f'"http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>',
            )
            _write(
                serve_root / "robots.txt",
                f"User-agent: *\nDisallow: /cart/\nSitemap: {origin}/sitemap.xml\n",
            )
            yield origin
    finally:
        shutil.rmtree(serve_root, ignore_errors=True)


if __name__ == "__main__":
    _serve_forever(Path(sys.argv[1]))
