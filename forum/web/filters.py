"""Template filters and globals: dates, crisis resources, highlighted phrases."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask
from flask_login import current_user
from markupsafe import Markup, escape

from .. import crisis_resources
from ..models import utcnow


def viewer_crisis_resources() -> crisis_resources.Region:
    """The crisis lines for the signed-in member's region (their own choice; the default list
    for visitors and for members who haven't chosen)."""
    viewer = current_user if current_user.is_authenticated else None
    return crisis_resources.region_for(viewer.crisis_region if viewer is not None else None)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y, %H:%M UTC")


def duration(value: timedelta | None) -> str:
    """A short human duration: "40 s", "12 min", "3 h 5 min", "2 d 4 h"; "–" for None."""
    if value is None:
        return "–"
    seconds = max(int(value.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def waiting_since(value: datetime | None) -> str:
    return duration(utcnow() - value) if value is not None else "–"


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
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["waiting_since"] = waiting_since
    app.jinja_env.globals["crisis_resources"] = viewer_crisis_resources
