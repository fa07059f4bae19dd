"""Whole pages kept for anonymous visitors, and answered with an ETag (304 when unchanged).

A visitor's page is the same for every visitor once the data it shows is the same: each caller
keys the page by the address and every row it renders (forum/listing_reading.py, forum/
thread_reading.py), so a change makes a new key and nothing is ever invalidated by hand. Only a
plain GET with no message waiting in the session is kept (a message is shown once). Signed-in
pages are personal and stay `no-store` (forum/web/headers.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable

from flask import Flask, current_app, make_response, request, session

from ..render_cache import RenderCache


def render_cache() -> RenderCache:
    return current_app.extensions["render_cache"]


def plain_get() -> bool:
    """A GET with no message waiting in the session (a flashed message is shown once)."""
    return request.method == "GET" and not session.get("_flashes")


def anonymous_answer(html: str, etag: str):
    response = make_response(html)
    response.set_etag(etag)
    response.vary.add("Cookie")  # a signed-in reader of the same address gets another page
    return response.make_conditional(request)


def kept_page(key: Hashable, render: Callable[[], str]):
    """The page kept under ``key`` (rendered and kept first if it isn't), as an answer."""
    cache = render_cache()
    kept = cache.get(key)
    if kept is None:
        html = render()
        kept = (html, hashlib.blake2b(html.encode(), digest_size=16).hexdigest())
        cache.put(key, kept, size=len(html))
    return anonymous_answer(*kept)


def register(app: Flask) -> None:
    app.extensions["render_cache"] = RenderCache(app.config["RENDER_CACHE_BYTES"])
