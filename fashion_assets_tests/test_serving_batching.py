"""Text queries that arrive together share one model pass, each getting its own rows."""

import threading
import time

import numpy as np
import pytest

from serving.batching import TextBatcher


class HeldPasses:
    """An encoder function (one row per text: its length and a checksum) that records each
    pass and holds the first one until the test releases it."""

    def __init__(self):
        self.passes: list[list[str]] = []
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.passes.append(texts)
        if len(self.passes) == 1:
            self.entered.set()
            assert self.release.wait(60)
        if "boom" in texts:
            raise ValueError("the model failed")
        return np.array([[len(t), sum(map(ord, t))] for t in texts], np.float32)


def queue_behind_a_held_pass(batcher, model, first, later):
    """Start `first`, then `later` (one thread each) while the first pass is held; return the
    answers (rows or exceptions) once all are done."""
    answers: dict[str, object] = {}

    def call(text):
        try:
            answers[text] = batcher([text])
        except ValueError as exc:
            answers[text] = exc

    threads = [threading.Thread(target=call, args=(first,))]
    threads[0].start()
    assert model.entered.wait(30)
    threads += [threading.Thread(target=call, args=(t,)) for t in later]
    for t in threads[1:]:
        t.start()
    deadline = time.monotonic() + 30
    while batcher.queued < len(later):
        assert time.monotonic() < deadline, "the later requests never queued"
        time.sleep(0.01)
    model.release.set()
    for t in threads:
        t.join(30)
    return answers


def test_requests_queued_behind_a_pass_share_the_next_one():
    model = HeldPasses()
    batcher = TextBatcher(model, max_batch=64)
    later = ["린넨 셔츠", "wide denim pants", "니트 가디건"]
    answers = queue_behind_a_held_pass(batcher, model, "black winter coat", later)
    assert model.passes[0] == ["black winter coat"]
    assert sorted(model.passes[1]) == sorted(later) and len(model.passes) == 2
    for text, rows in answers.items():
        assert rows.tolist() == [[len(text), sum(map(ord, text))]]
    alone = batcher(["a", "bb"])  # a lone request runs at once, with all its texts
    assert model.passes[-1] == ["a", "bb"] and alone.tolist() == [[1, 97], [2, 196]]


def test_a_pass_holds_at_most_max_batch_texts():
    model = HeldPasses()
    batcher = TextBatcher(model, max_batch=2)
    queue_behind_a_held_pass(batcher, model, "first", ["b", "c", "d"])
    assert [len(p) for p in model.passes] == [1, 2, 1]
    assert sorted(t for p in model.passes[1:] for t in p) == ["b", "c", "d"]


def test_a_failed_pass_fails_its_requests_and_the_next_pass_runs():
    model = HeldPasses()
    batcher = TextBatcher(model, max_batch=64)
    answers = queue_behind_a_held_pass(batcher, model, "first", ["boom", "shared"])
    assert answers["first"].tolist() == [[5, sum(map(ord, "first"))]]
    assert all(isinstance(answers[t], ValueError) for t in ("boom", "shared"))
    assert batcher(["after"]).shape == (1, 2)
    with pytest.raises(ValueError, match="the model failed"):
        batcher(["boom"])
