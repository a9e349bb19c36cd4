"""robots.txt: fetched once per host, honoured for every URL, Crawl-delay applied."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from fashion_assets.crawl.fetch import Fetcher


class Robots:
    """The robots.txt rules of the hosts a crawl touches."""

    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher
        self._rules: dict[str, RobotFileParser] = {}
        self.sitemaps: dict[str, list[str]] = {}

    async def load(self, url: str) -> RobotFileParser:
        """Fetch and parse the robots.txt of `url`'s host (once)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._rules:
            return self._rules[origin]
        parser = RobotFileParser(origin + "/robots.txt")
        got = await self.fetcher.fetch(origin + "/robots.txt", "text")
        if got.ok:
            parser.parse(got.body.decode("utf-8", "replace").splitlines())
        elif got.status is not None and 400 <= got.status < 500:
            parser.allow_all = True  # RFC 9309: an unavailable robots.txt allows everything
        elif got.error == "bad_content_type":
            parser.allow_all = True  # an HTML error page is not a robots.txt
        else:
            parser.disallow_all = True  # unreachable or 5xx: assume complete disallow
        agent = self.fetcher.policy.user_agent
        delay = parser.crawl_delay(agent)
        if delay:
            self.fetcher.slow_down(origin, float(delay))
        self.sitemaps[origin] = list(parser.site_maps() or [])
        self._rules[origin] = parser
        return parser

    async def allowed(self, url: str) -> bool:
        """Whether our User-Agent may fetch `url`."""
        parser = await self.load(url)
        return parser.can_fetch(self.fetcher.policy.user_agent, url)
