"""Template filters and globals, and the security headers every response carries."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, Response, current_app, request
from flask_login import current_user


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y, %H:%M UTC")


def register(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals["crisis_resources"] = lambda: current_app.config["CRISIS_RESOURCES"]


def add_security_headers(response: Response) -> Response:
    # Everything is served locally: no CDN, no inline scripts.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # A signed-in page or any API answer may hold private things (held posts, the queue, who
    # one blocked): never kept by a shared or back-button cache. Anonymous pages stay cacheable.
    if request.path.startswith("/api/") or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response
