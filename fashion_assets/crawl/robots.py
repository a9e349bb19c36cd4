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
        text = ""
        if got.ok:
            text = got.body.decode("utf-8", "replace")
            parser.parse(text.splitlines())
        elif got.status is not None and 400 <= got.status < 500:
            parser.allow_all = True  # RFC 9309: an unavailable robots.txt allows everything
        elif got.error == "bad_content_type":
            parser.allow_all = True  # an HTML error page is not a robots.txt
        else:
            parser.disallow_all = True  # unreachable or 5xx: assume complete disallow
        delay = crawl_delay(text, self.fetcher.policy.user_agent)
        if delay:
            self.fetcher.slow_down(origin, delay)
        self.sitemaps[origin] = list(parser.site_maps() or [])
        self._rules[origin] = parser
        return parser

    async def allowed(self, url: str) -> bool:
        """Whether our User-Agent may fetch `url`."""
        parser = await self.load(url)
        return parser.can_fetch(self.fetcher.policy.user_agent, url)


def crawl_delay(robots_txt: str, user_agent: str) -> float | None:
    """The Crawl-delay (seconds, fractions allowed) of the group that applies to `user_agent`.

    A group naming our product token (RFC 9309: exact, case-insensitive) wins over `*`.
    urllib's parser is not used for this: it ignores non-integer delays such as 0.5.
    """
    token = user_agent.split("/")[0].lower()
    delays: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in robots_txt.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        else:
            in_rules = True
            if key == "crawl-delay":
                try:
                    seconds = float(value)
                except ValueError:
                    continue
                for agent in agents:
                    delays[agent] = seconds
    mine = delays.get(token)
    return mine if mine is not None else delays.get("*")
