"""A loopback shop that misbehaves in every way the crawler must survive."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def _jpeg(rgb: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), rgb).save(out, format="JPEG")
    return out.getvalue()


def _pixel_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def product_page(
    sku: str,
    image: str,
    color: str = "네이비",
    category: str = "남성 > 하의 > 팬츠",
    name: str | None = None,
) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": f"테스트 팬츠 {sku}" if name is None else name,
        "sku": sku,
        "image": image,
        "color": color,
        "material": "면 100%",
        "category": category,
        "audience": {"suggestedGender": "male"},
        "offers": {"@type": "Offer", "price": "39000", "priceCurrency": "KRW"},
        "additionalProperty": [
            {"@type": "PropertyValue", "name": "계절", "value": "여름"},
            {"@type": "PropertyValue", "name": "핏", "value": "와이드"},
        ],
    }
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script>'
        f"</head><body>{sku}</body></html>"
    )


#: page path -> the reject reason the crawl must record (None: the product must be kept)
EXPECTED = {
    "/p/good1.html": None,
    "/p/good2.html": None,
    "/p/redirected.html": None,
    "/p/flaky500.html": None,
    "/p/ratelimited.html": None,
    "/p/good1-alt.html": "duplicate_of_good1",
    "/p/always500.html": "server_error",
    "/p/notfound.html": "http_error",
    "/p/slow.html": "timeout",
    "/p/truncated.html": "broken_jsonld",
    "/p/nojsonld.html": "no_product_markup",
    "/p/loop.html": "redirect_loop",
    "/p/hops.html": "too_many_redirects",
    "/private/secret.html": "robots_disallowed",
    "/p/img-html.html": "broken_image",
    "/p/img-zero.html": "broken_image",
    "/p/img-garbage.html": "broken_image",
    "/p/img-huge.html": "image_too_large",
    "/p/img-bomb.html": "image_too_large",
    "/p/img-missing.html": "missing_image",
    "/p/badcolor.html": "invalid_value",
    "/p/shoes.html": "unknown_category",
    "/p/noname.html": "missing_field",
}


class HostileShop:
    """Routes, hit counters and request times; `serve()` yields the origin."""

    def __init__(self, slow_s: float = 2.0, huge_bytes: int = 200_000):
        self.hits: dict[str, list[float]] = defaultdict(list)
        self.agents: set[str] = set()
        self.slow_s = slow_s
        self.images = {
            "/img/ok1.jpg": ("image/jpeg", _jpeg((20, 30, 90))),
            "/img/ok2.jpg": ("image/jpeg", _jpeg((200, 30, 40))),
            "/img/ok3.jpg": ("image/jpeg", _jpeg((30, 160, 40))),
            "/img/ok4.jpg": ("image/jpeg", _jpeg((240, 240, 240))),
            "/img/ok5.jpg": ("image/jpeg", _jpeg((120, 75, 40))),
            "/img/html.jpg": ("text/html", b"<html>not an image</html>"),
            "/img/zero.jpg": ("image/jpeg", b""),
            "/img/garbage.jpg": ("image/jpeg", b"\xff\xd8\xff" + b"garbage" * 100),
            "/img/huge.jpg": ("image/jpeg", b"\xff\xd8" + b"\0" * huge_bytes),
            "/img/bomb.png": ("image/png", _pixel_bomb()),
        }

    def pages(self, origin: str) -> dict[str, str]:
        return {
            "/p/good1.html": product_page("G1", "/img/ok1.jpg"),
            "/p/good1-alt.html": product_page("G1", "/img/ok1.jpg"),
            "/p/good2.html": product_page("G2", "/img/ok2.jpg", color="Olive"),
            "/p/final.html": product_page("G3", "/img/ok3.jpg"),
            "/p/flaky500.html": product_page("F5", "/img/ok4.jpg", color="White"),
            "/p/ratelimited.html": product_page("RL", "/img/ok5.jpg", color="카멜"),
            "/p/truncated.html": product_page("TR", "/img/ok1.jpg")[:120],
            "/p/nojsonld.html": "<html><body>about us</body></html>",
            "/private/secret.html": product_page("PS", "/img/ok1.jpg"),
            "/p/img-html.html": product_page("IH", "/img/html.jpg"),
            "/p/img-zero.html": product_page("IZ", "/img/zero.jpg"),
            "/p/img-garbage.html": product_page("IG", "/img/garbage.jpg"),
            "/p/img-huge.html": product_page("IL", "/img/huge.jpg"),
            "/p/img-bomb.html": product_page("IB", "/img/bomb.png"),
            "/p/img-missing.html": product_page("IM", "/img/missing.jpg"),
            "/p/badcolor.html": product_page("BC", "/img/ok2.jpg", color="Unobtainium"),
            "/p/shoes.html": product_page("SH", "/img/ok3.jpg", category="신발 > 스니커즈"),
            "/p/noname.html": product_page("NN", "/img/ok3.jpg", name=""),
        }

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def send(self, status: int, ctype: str, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                shop.hits[path].append(time.monotonic())
                shop.agents.add(self.headers.get("User-Agent", ""))
                n = len(shop.hits[path])
                origin = f"http://{self.headers['Host']}"
                if path == "/robots.txt":
                    text = f"User-agent: *\nDisallow: /private/\nSitemap: {origin}/sitemap.xml\n"
                    return self.send(200, "text/plain", text.encode())
                if path == "/sitemap.xml":
                    maps = "".join(
                        f"<sitemap><loc>{origin}/{m}</loc></sitemap>"
                        for m in ("sitemap-a.xml", "sitemap-broken.xml")
                    )
                    return self.send(
                        200, "application/xml", f"<sitemapindex>{maps}</sitemapindex>".encode()
                    )
                if path == "/sitemap-a.xml":
                    urls = "".join(f"<url><loc>{origin}{p}</loc></url>" for p in EXPECTED)
                    return self.send(200, "application/xml", f"<urlset>{urls}</urlset>".encode())
                if path == "/sitemap-broken.xml":
                    return self.send(200, "application/xml", b"<urlset><url><loc>trunc")
                if path == "/p/always500.html" or (path == "/p/flaky500.html" and n == 1):
                    return self.send(500, "text/html", b"oops")
                if path == "/p/ratelimited.html" and n == 1:
                    return self.send(429, "text/html", b"slow down", Retry_After="1")
                if path == "/p/slow.html":
                    time.sleep(shop.slow_s)
                    return self.send(200, "text/html", b"<html>late</html>")
                if path == "/p/redirected.html":
                    return self.send(301, "text/html", b"", Location="/p/final.html")
                if path in ("/p/loop.html", "/p/loop2.html"):
                    other = "/p/loop2.html" if path == "/p/loop.html" else "/p/loop.html"
                    return self.send(302, "text/html", b"", Location=other)
                if path.startswith("/p/hops"):
                    k = int(path.removeprefix("/p/hops").removesuffix(".html") or 0)
                    return self.send(302, "text/html", b"", Location=f"/p/hops{k + 1}.html")
                if path in shop.images:
                    ctype, body = shop.images[path]
                    return self.send(200, ctype, body)
                page = shop.pages(origin).get(path)
                if page is None:
                    return self.send(404, "text/html", b"not found")
                return self.send(200, "text/html; charset=utf-8", page.encode())

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the default 5 drops connects while slow handlers run

        server = Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
