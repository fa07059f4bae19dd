"""A per-process cache of rendered HTML, bounded by size: least recently used goes first.

Keys must name everything the HTML was rendered from (for a post: its id and the version the
database raises on every change; for a page: every row it shows), so an entry is never stale:
a change makes a new key and the old entry simply ages out. Nothing is ever invalidated by
hand, and every worker and process stays right on its own. Plain Python: no Flask.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class RenderCache:
    """Rendered HTML by key, at most ``max_bytes`` of it (characters, roughly bytes)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size

    def get(self, key: Hashable) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: Any, size: int | None = None) -> None:
        """Keep ``value`` (a string, or ``size`` characters' worth of something else)."""
        cost = (len(value) if size is None else size) + 100  # the key and bookkeeping, roughly
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, cost)
            self._size += cost
            while self._size > self.max_bytes:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
