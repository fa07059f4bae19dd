"""The one SQL query counter, for tests and bench/ scripts (SQLAlchemy only, no app needed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event


class QueryCounter:
    """Records the statements `engine` runs while the `with` block is open.

    ``with QueryCounter(db.engine) as queries: ...`` then ``queries.count`` (or
    ``queries.statements``); ``queries.reset()`` starts counting again inside the block.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc_info: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def count_queries(engine: Any, action: Callable[[], object]) -> int:
    """How many statements `action()` runs."""
    with QueryCounter(engine) as queries:
        action()
    return queries.count


def get_counting_queries(client, engine: Any, path: str) -> tuple[int, float]:
    """GET `path` with a test client: (statements run, seconds taken); a non-200 stops the run."""
    started = time.perf_counter()
    with QueryCounter(engine) as queries:
        response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    return queries.count, elapsed
