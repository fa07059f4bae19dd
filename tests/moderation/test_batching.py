"""The micro-batcher: concurrent callers scored together, each given its own verdicts; a
failing batch fails every caller of it; nobody waits forever."""

from __future__ import annotations

import threading
import time

import pytest

from moderation import Decision, Item, Pipeline, ScreeningBatcher, ScreeningTimeout, Verdict


class RecordingScreen:
    """A screen function that remembers its batches; each verdict names its item's text."""

    def __init__(self, pause: float = 0.0):
        self.batches: list[list[str]] = []
        self.pause = pause
        self.lock = threading.Lock()

    def __call__(self, items):
        with self.lock:
            self.batches.append([item.text for item in items])
        time.sleep(self.pause)
        return [Verdict(id=item.id, decision=Decision.PUBLISH, category=item.text,
                        escalate=False, reasons=()) for item in items]


def _concurrently(calls):
    """Run each zero-argument call in its own thread, started together; their results."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index, call):
        start.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the test looks at it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_callers_are_screened_together_and_each_gets_its_own_verdicts():
    screen = RecordingScreen(pause=0.05)
    batcher = ScreeningBatcher(screen, window=0.05, max_items=64)
    callers = [[Item(id="post", text=f"caller {n} item {i}") for i in range(n % 3 + 1)]
               for n in range(8)]
    results = _concurrently([lambda items=items: batcher.screen(items) for items in callers])
    for items, verdicts in zip(callers, results, strict=True):
        assert [v.category for v in verdicts] == [item.text for item in items]
    assert sum(len(batch) for batch in screen.batches) == sum(len(c) for c in callers)
    assert len(screen.batches) < len(callers)  # at least some were scored together
    assert batcher.largest_batch > 3


def test_a_batch_holds_at_most_max_items_unless_one_caller_sends_more():
    screen = RecordingScreen(pause=0.02)
    batcher = ScreeningBatcher(screen, window=0.05, max_items=4)
    _concurrently([lambda n=n: batcher.screen([Item(id="p", text=str(n))]) for n in range(10)])
    assert max(len(batch) for batch in screen.batches) <= 4
    big = [Item(id="p", text=f"big {i}") for i in range(6)]
    assert [v.category for v in batcher.screen(big)] == [item.text for item in big]


def test_without_concurrency_a_caller_is_screened_alone_after_the_window():
    screen = RecordingScreen()
    batcher = ScreeningBatcher(screen, window=0.001)
    for n in range(3):
        assert batcher.screen([Item(id="p", text=str(n))])[0].category == str(n)
    assert screen.batches == [["0"], ["1"], ["2"]]
    assert batcher.screen([]) == []


def test_a_failure_in_a_batch_reaches_every_caller_of_it_and_the_next_batch_works():
    calls = {"n": 0}
    release = threading.Event()

    def screen(items):
        calls["n"] += 1
        if calls["n"] == 1:
            release.wait(5)
            return RecordingScreen()(items)
        if calls["n"] == 2:
            raise RuntimeError("model exploded")
        return RecordingScreen()(items)

    batcher = ScreeningBatcher(screen, window=0, max_items=64)
    # The first call occupies the scoring thread; the next four queue up into one batch.
    first = threading.Thread(target=batcher.screen, args=([Item(id="p", text="first")],))
    first.start()
    time.sleep(0.1)

    def queue_and_release():
        time.sleep(0.1)
        release.set()

    threading.Thread(target=queue_and_release).start()
    results = _concurrently([lambda n=n: batcher.screen([Item(id="p", text=str(n))])
                             for n in range(4)])
    first.join(5)
    assert all(isinstance(r, RuntimeError) and "model exploded" in str(r) for r in results)
    assert batcher.screen([Item(id="p", text="after")])[0].category == "after"


def test_a_wrong_number_of_verdicts_is_a_failure_not_a_mix_up():
    batcher = ScreeningBatcher(lambda items: [], window=0)
    with pytest.raises(RuntimeError, match="0 verdicts for 1 items"):
        batcher.screen([Item(id="p", text="x")])


def test_a_caller_gives_up_after_the_timeout_and_its_request_is_not_screened_later():
    unblock = threading.Event()
    seen: list[str] = []

    def screen(items):
        seen.extend(item.text for item in items)
        if items[0].text == "slow":
            unblock.wait(5)
        return RecordingScreen()(items)

    batcher = ScreeningBatcher(screen, window=0, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(ScreeningTimeout):
        batcher.screen([Item(id="p", text="slow")])
    assert time.monotonic() - started < 2
    with pytest.raises(ScreeningTimeout):  # queued behind the slow one, gives up too
        batcher.screen([Item(id="p", text="gave up")])
    unblock.set()
    batcher.timeout = 5
    assert batcher.screen([Item(id="p", text="later")])[0].category == "later"
    assert seen == ["slow", "later"]


def test_a_process_with_another_pid_starts_its_own_scoring_thread(monkeypatch):
    screen = RecordingScreen()
    batcher = ScreeningBatcher(screen, window=0)
    batcher.screen([Item(id="p", text="parent")])
    inbox = batcher._queue
    monkeypatch.setattr("moderation.batching.os.getpid", lambda: -1)  # as after a fork
    assert batcher.screen([Item(id="p", text="child")])[0].category == "child"
    assert batcher._queue is not inbox


@pytest.mark.parametrize("kwargs", [{"window": -1}, {"max_items": 0}, {"timeout": 0}])
def test_nonsense_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        ScreeningBatcher(RecordingScreen(), **kwargs)


def test_the_real_pipeline_gives_the_same_verdicts_batched_as_one_by_one():
    """With rules and a scorer that depends on each text alone (no model files needed)."""

    class LengthScorer:
        def predict(self, texts):
            return [{"crisis": min(len(t) / 400, 1.0), "toxic": 0.01} for t in texts]

    pipeline = Pipeline(community_model=LengthScorer(), toxicity_model=lambda: None)
    texts = ["You went back AGAIN? Honestly, no sympathy at this point.",
             "Sending you a hug.", "I can't do this anymore. " * 12, "Day 12 #nc"]
    alone = [pipeline.screen([Item(id="p", text=t)])[0] for t in texts]
    batcher = ScreeningBatcher(pipeline.screen, window=0.05)
    together = _concurrently([lambda t=t: batcher.screen([Item(id="p", text=t)])[0]
                              for t in texts])
    assert together == alone
    assert batcher.largest_batch > 1
