"""Clean input at the boundary: the one place where request text and numbers are made storable.

Every string that reaches a view, from the URL path, the query string, a form or a JSON body,
has had lone surrogates replaced by U+FFFD and NUL and other control characters (all but tab,
newline and carriage return) removed, so neither database refuses it and nothing a member typed
is lost to an error page. Whole numbers in URLs are bounded to what an id column holds (a larger
one is simply not found), and page numbers are read in one way everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider
PAGE_MAX = 100_000
# Lone surrogates (U+D800–U+DFFF can't be encoded as UTF-8), C0 controls other than \t \n \r,
# DEL and the C1 controls.
_UNSTORABLE = re.compile("[\ud800-\udfff]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """``value`` with lone surrogates replaced and control characters removed."""
    if not _UNSTORABLE.search(value):
        return value
    return _UNSTORABLE.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", value)


def clean_json(value: Any) -> Any:
    """``value`` (parsed JSON) with every string in it, keys included, cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): clean_json(item) for key, item in value.items()}
    return value


class CleanMultiDict(ImmutableMultiDict):
    """Query strings and form fields, cleaned as they are parsed."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        items = mapping.items(multi=True) if isinstance(mapping, ImmutableMultiDict) else mapping
        if isinstance(items, dict):
            items = items.items()
        super().__init__(
            (clean_text(key), clean_text(value) if isinstance(value, str) else value)
            for key, value in items
        )


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


class CleanJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return clean_json(super().loads(s, **kwargs))


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches only what an id column can hold; a larger number is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=ID_MAX if max is None else max, signed=signed)


def page_number(name: str = "page", *, strict: bool = False) -> int:
    """The requested page, from 1 and at most PAGE_MAX (a later page is simply empty).

    A malformed value is page 1 on pages (a reader followed an odd link) and a clear 400 from
    the API (``strict``), which tells its client what it got wrong.
    """
    raw = request.args.get(name, "1").strip() or "1"
    if not raw.isascii() or not raw.isdigit() or int(raw[:12]) < 1:
        if strict:
            raise BadRequest(f"'{name}' must be a whole number from 1.")
        return 1
    return PAGE_MAX if len(raw) > 9 else min(int(raw), PAGE_MAX)


def id_arg(name: str) -> int | None:
    """An optional id from the query string; None when absent, malformed or out of range."""
    raw = request.args.get(name, "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= ID_MAX else None


def register(app: Flask) -> None:
    app.request_class = CleanRequest
    app.json = CleanJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def pages_take_forms_only() -> None:
        # Page forms read form fields; a JSON body belongs to /api/v1 (Flask-WTF would try to
        # read a JSON body as form fields and fail on anything but an object).
        if request.is_json and request.method in ("POST", "PUT", "PATCH", "DELETE") \
                and not request.path.startswith("/api/"):
            raise UnsupportedMediaType("Pages take form posts; the JSON API is under /api/v1.")

    @app.url_value_preprocessor
    def clean_path_values(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values:
            for key, value in values.items():
                if isinstance(value, str):
                    values[key] = clean_text(value)

