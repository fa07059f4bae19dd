"""Work that runs after the answer has been sent (in the same worker, in order).

Used where the answer must not depend on what the work finds or how long it takes: whether an
address has an account decides which email goes out, and an SMTP round trip would show in the
response time. The work runs when the WSGI server closes the response, inside a fresh app
context; an error is logged, never shown to the visitor. Outside a request (the CLI, tests of
use cases) the work runs at once.

Nothing here is retried: the mail it sends is one a person asked for and can ask for again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, g, has_request_context

log = logging.getLogger(__name__)


def defer(work: Callable[[], None]) -> None:
    if not has_request_context():
        work()
        return
    g.setdefault("after_response", []).append(work)


def register(app: Flask) -> None:
    @app.after_request
    def run_after_response(response: Response) -> Response:
        pending: list[Callable[[], None]] = g.pop("after_response", [])
        if pending:
            flask_app = current_app._get_current_object()
            response.call_on_close(lambda: _run(flask_app, pending))
        return response


def _run(app: Flask, pending: list[Callable[[], None]]) -> None:
    for work in pending:
        with app.app_context():
            try:
                work()
            except Exception:
                log.exception("work after the response failed")
                from .extensions import db

                db.session.rollback()
