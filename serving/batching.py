"""Concurrent requests' texts encoded in shared forward passes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np


class TextBatcher:
    """Encodes the texts of requests that arrive together in one forward pass. No thread and no
    timer: a caller that finds the model free encodes everything waiting (its own texts and
    those queued behind the running pass, up to `max_batch` texts), so a lone request waits for
    nobody and a busy service runs one forward at a time instead of many competing ones."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_batch: int):
        self._encode = encode
        self._max_batch = max_batch
        self._waiting: list[tuple[list[str], Future[np.ndarray]]] = []
        self._queue = threading.Lock()  # guards _waiting
        self._model = threading.Lock()  # held for one forward pass

    @property
    def queued(self) -> int:
        """Requests waiting for a pass."""
        with self._queue:
            return len(self._waiting)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The embeddings of `texts`, one row each (blocks until they are computed)."""
        done: Future[np.ndarray] = Future()
        with self._queue:
            self._waiting.append((list(texts), done))
        while not done.done():
            with self._model:
                if not done.done():
                    self._run(self._take())
        return done.result()

    def _take(self) -> list[tuple[list[str], Future[np.ndarray]]]:
        """Waiting requests, oldest first, up to `max_batch` texts (at least one request)."""
        with self._queue:
            size, n = 0, 0
            for texts, _ in self._waiting:
                if n and size + len(texts) > self._max_batch:
                    break
                size, n = size + len(texts), n + 1
            taken, self._waiting[:n] = self._waiting[:n], []
        return taken

    def _run(self, batch: list[tuple[list[str], Future[np.ndarray]]]) -> None:
        try:
            vectors = self._encode([t for texts, _ in batch for t in texts])
        except BaseException as exc:  # every request in the pass gets the failure
            for _, done in batch:
                done.set_exception(exc)
            return
        start = 0
        for texts, done in batch:
            done.set_result(vectors[start : start + len(texts)])
            start += len(texts)
