"""Template filters and globals: dates, crisis resources, highlighted phrases."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from flask import Flask, current_app
from markupsafe import Markup, escape


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y, %H:%M UTC")


def highlight_phrases(text: str | None, phrases: Iterable[str]) -> Markup:
    """Escape `text` and wrap each occurrence of the given phrases in <mark>."""
    text = text or ""
    wanted = sorted({p for p in phrases if p and p.strip()}, key=len, reverse=True)
    if not wanted:
        return escape(text)
    pattern = re.compile("|".join(re.escape(p) for p in wanted), re.IGNORECASE)
    pieces: list[str | Markup] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[position:match.start()]))
        pieces.append(Markup("<mark>{}</mark>").format(match.group(0)))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def register(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["highlight_phrases"] = highlight_phrases
    app.jinja_env.globals["crisis_resources"] = lambda: current_app.config["CRISIS_RESOURCES"]
