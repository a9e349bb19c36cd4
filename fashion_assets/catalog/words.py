"""Finding vocabulary words in free text (Korean and English) without guessing.

Text is folded (NFKC, HTML entities, lower case, possessive 's dropped) and split into tokens;
a `Lexicon` matches phrases of up to a few tokens, English plurals, and Korean compounds
written without spaces ("멜란지그레이" ends with "그레이", "셔츠원피스" with "원피스"). Product
titles and category paths put the head noun last ("Shirt Dress", "셔츠 원피스"), so the
rightmost match is the one that counts.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")

_POSSESSIVE = re.compile(r"(\w)['’]s\b")
_TOKEN = re.compile(r"[a-z]+|[0-9]+(?:\.[0-9]+)?|[\uac00-\ud7a3]+")


def fold(text: object) -> str:
    """NFKC, entities decoded, lower case, possessives dropped ("Women&#39;s" -> "women")."""
    folded = unicodedata.normalize("NFKC", html.unescape(str(text))).lower()
    return _POSSESSIVE.sub(r"\1", folded)


def tokens(text: object) -> list[str]:
    """Latin words, numbers and Hangul runs of `text`, folded ("T-Shirt 2color" -> t shirt 2
    color)."""
    return _TOKEN.findall(fold(text))


def is_hangul(token: str) -> bool:
    """Whether a token is a Hangul run."""
    return bool(token) and "\uac00" <= token[0] <= "\ud7a3"


def _plurals(phrase: str) -> tuple[str, ...]:
    last = phrase.rsplit(" ", 1)[-1]
    if not last.isascii() or not last.isalpha() or len(last) < 3:
        return (phrase,)
    if last.endswith(("s", "x", "ch", "sh")):
        return (phrase, phrase + "es")
    if last.endswith("y") and last[-2] not in "aeiou":
        return (phrase, phrase[:-1] + "ies")
    return (phrase, phrase + "s")


@dataclass(frozen=True)
class Match(Generic[V]):
    """A lexicon entry found in a token list: tokens [start, end) and its value."""

    start: int
    end: int
    value: V
    text: str


class Lexicon(Generic[V]):
    """Phrases (as written in tables: "t shirt", "down jacket", "티셔츠") mapped to values."""

    def __init__(self, groups: Mapping[V, Iterable[str]], *, plurals: bool = True):
        self._phrases: dict[tuple[str, ...], V] = {}
        self._hangul: dict[str, V] = {}
        for value, phrases in groups.items():
            for phrase in phrases:
                forms = _plurals(" ".join(tokens(phrase))) if plurals else (phrase,)
                for form in forms:
                    key = tuple(tokens(form))
                    if not key:
                        continue
                    if key in self._phrases and self._phrases[key] != value:
                        raise ValueError(f"{form!r} maps to two values")
                    self._phrases[key] = value
                    if len(key) == 1 and is_hangul(key[0]) and len(key[0]) >= 2:
                        self._hangul[key[0]] = value
        self._longest = max((len(k) for k in self._phrases), default=1)

    def exact(self, text: object) -> V | None:
        """The value whose phrase is exactly `text` (folded), or None."""
        return self._phrases.get(tuple(tokens(text)))

    def _at(self, toks: list[str], end: int, suffixes: bool) -> Match[V] | None:
        for n in range(min(self._longest, end + 1), 0, -1):
            key = tuple(toks[end - n + 1 : end + 1])
            if key in self._phrases:
                return Match(end - n + 1, end + 1, self._phrases[key], " ".join(key))
        token = toks[end]
        if suffixes and is_hangul(token):
            for i in range(1, len(token) - 1):
                value = self._hangul.get(token[i:])
                if value is not None:
                    return Match(end, end + 1, value, token[i:])
        return None

    def find(self, toks: list[str], *, suffixes: bool = True) -> list[Match[V]]:
        """Every match, right to left, not overlapping (longest phrase at each position)."""
        found: list[Match[V]] = []
        end = len(toks) - 1
        while end >= 0:
            match = self._at(toks, end, suffixes)
            if match is None:
                end -= 1
            else:
                found.append(match)
                end = match.start - 1
        return found

    def rightmost(self, text: object, *, suffixes: bool = True) -> V | None:
        """The value of the rightmost match in `text`, or None."""
        found = self.find(tokens(text), suffixes=suffixes)
        return found[0].value if found else None
