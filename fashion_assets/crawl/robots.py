"""robots.txt (RFC 9309, through Protego): fetched once per host, honoured for every page and
image, its Crawl-delay (fractions allowed) or Request-rate applied to the host's schedule."""

from __future__ import annotations

from urllib.parse import urlsplit

from protego import Protego

from fashion_assets.crawl.fetch import Fetcher

_ALLOW_ALL = Protego.parse("")
_DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /\n")


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against ("fashion_assets-crawler")."""
    return user_agent.split("/")[0].strip().lower()


def crawl_delay(rules: Protego, user_agent: str) -> float | None:
    """Seconds between requests the rules ask of `user_agent`: Crawl-delay, else Request-rate."""
    token = product_token(user_agent)
    delay = rules.crawl_delay(token)
    if delay is not None:
        return float(delay)
    rate = rules.request_rate(token)
    return rate.seconds / rate.requests if rate and rate.requests else None


class Robots:
    """The robots.txt rules of the hosts a crawl touches."""

    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher
        self._rules: dict[str, Protego] = {}
        self.sitemaps: dict[str, list[str]] = {}

    async def load(self, url: str) -> Protego:
        """Fetch and parse the robots.txt of `url`'s host (once)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._rules:
            return self._rules[origin]
        got = await self.fetcher.fetch(origin + "/robots.txt", "text")
        if got.ok:
            rules = Protego.parse(got.body.decode("utf-8", "replace"))
        elif got.status is not None and 400 <= got.status < 500:
            rules = _ALLOW_ALL  # RFC 9309 2.3.1.3: an unavailable robots.txt allows everything
        elif got.error == "bad_content_type":
            rules = _ALLOW_ALL  # an HTML error page is not a robots.txt
        else:
            rules = _DISALLOW_ALL  # RFC 9309 2.3.1.4: unreachable or 5xx: complete disallow
        delay = crawl_delay(rules, self.fetcher.policy.user_agent)
        if delay:
            self.fetcher.slow_down(origin, delay)
        self.sitemaps[origin] = list(rules.sitemaps)
        self._rules[origin] = rules
        return rules

    async def allowed(self, url: str) -> bool:
        """Whether our User-Agent may fetch `url`."""
        rules = await self.load(url)
        return rules.can_fetch(url, product_token(self.fetcher.policy.user_agent))
