"""Template filters and globals, and the security headers every response carries."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, Response, current_app


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
    return response
