"""Scoring concurrent posts together: a micro-batcher in front of ``Pipeline.screen``.

A threaded web worker (gunicorn's gthread) handles several posts at once, and each would run
its own forward pass through both encoders. ``ScreeningBatcher.screen(items)`` instead hands
the items to one scoring thread per process, which screens everything that has arrived while
it was busy, or within ``window`` seconds of the first request, in one ``Pipeline.screen``
call (one length-sorted forward pass per model; torch releases the GIL meanwhile, so the
worker's other threads go on with their database work). Each caller gets its own verdicts,
in order.

What it promises:

* the same verdicts as screening one by one: the pipeline scores a list item by item (padding
  is masked out), so only float rounding differs;
* a failure while screening a batch reaches every caller of that batch as the exception the
  pipeline raised (the forum then holds each of those posts: fail closed, nothing lost);
* no caller waits forever: after ``timeout`` seconds it gets ``ScreeningTimeout`` (the forum
  holds the post), and a request whose caller gave up is not screened any more;
* fork-safe: the scoring thread starts on first use in each process, so a worker forked from
  a master that loaded the models starts its own.

Standard library only (see DESIGN.md).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger("moderation")

DEFAULT_WINDOW = 0.002
DEFAULT_MAX_ITEMS = 16
DEFAULT_TIMEOUT = 30.0


class ScreeningTimeout(Exception):
    """The scoring thread did not answer in time; the caller should hold the post."""


class _Request:
    __slots__ = ("abandoned", "done", "error", "items", "verdicts")

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.done = threading.Event()
        self.verdicts: list[Any] | None = None
        self.error: BaseException | None = None
        self.abandoned = False


class ScreeningBatcher:
    """``screen(items)`` like a pipeline's, scored together with concurrent callers' items."""

    def __init__(
        self,
        screen: Callable[[list[Any]], Sequence[Any]],
        *,
        window: float = DEFAULT_WINDOW,
        max_items: int = DEFAULT_MAX_ITEMS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if window < 0 or max_items < 1 or timeout <= 0:
            raise ValueError("window must be >= 0, max_items >= 1 and timeout > 0")
        self._screen = screen
        self.window = window
        self.max_items = max_items
        self.timeout = timeout
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Request] | None = None
        self._pid: int | None = None
        # What the scoring thread has done (for tests and bench/): batches and items screened.
        self.batches = 0
        self.items = 0
        self.largest_batch = 0

    def screen(self, items: Sequence[Any]) -> list[Any]:
        """One verdict per item, same order; raises what the pipeline raised, or a timeout."""
        request = _Request(list(items))
        if not request.items:
            return []
        self._inbox().put(request)
        if not request.done.wait(self.timeout):
            request.abandoned = True
            raise ScreeningTimeout(f"screening took longer than {self.timeout:g} s")
        if request.error is not None:
            raise request.error
        assert request.verdicts is not None
        return request.verdicts

    # -- the scoring thread ----------------------------------------------------------------

    def _inbox(self) -> queue.SimpleQueue[_Request]:
        pid = os.getpid()
        if self._pid == pid and self._queue is not None:
            return self._queue
        with self._lock:
            if self._pid != pid or self._queue is None:
                inbox: queue.SimpleQueue[_Request] = queue.SimpleQueue()
                thread = threading.Thread(
                    target=self._serve, args=(inbox,), name="screening-batcher", daemon=True
                )
                thread.start()
                self._queue, self._pid = inbox, pid
            return self._queue

    def _serve(self, inbox: queue.SimpleQueue[_Request]) -> None:
        while True:
            batch = self._collect(inbox)
            if batch:
                self._score(batch)

    def _collect(self, inbox: queue.SimpleQueue[_Request]) -> list[_Request]:
        """The first waiting request, and those that come within the window (up to the cap)."""
        first = inbox.get()
        batch = [first] if not first.abandoned else []
        count = len(first.items) if batch else 0
        deadline = time.monotonic() + self.window
        while count < self.max_items:
            remaining = deadline - time.monotonic()
            try:
                request = inbox.get(timeout=remaining) if remaining > 0 else inbox.get_nowait()
            except queue.Empty:
                break
            if request.abandoned:
                continue
            batch.append(request)
            count += len(request.items)
        return batch

    def _score(self, batch: list[_Request]) -> None:
        items = [item for request in batch for item in request.items]
        try:
            verdicts = list(self._screen(items))
            if len(verdicts) != len(items):
                raise RuntimeError(f"{len(verdicts)} verdicts for {len(items)} items")
        except Exception as exc:  # every caller of the batch learns of it; the thread goes on
            log.error("screening a batch of %d items failed: %s", len(items), exc)
            for request in batch:
                request.error = exc
                request.done.set()
            return
        self.batches += 1
        self.items += len(items)
        self.largest_batch = max(self.largest_batch, len(items))
        start = 0
        for request in batch:
            request.verdicts = verdicts[start : start + len(request.items)]
            start += len(request.items)
            request.done.set()
