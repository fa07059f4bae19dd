"""Whole pages kept by each worker: a visitor's for every visitor, a member's for them alone.

A visitor's page is the same for every visitor once the data it shows is the same: each caller
keys the page by the address and every row it renders (forum/listing_reading.py, forum/
thread_reading.py), so a change makes a new key and nothing is ever invalidated by hand; it is
answered with an ETag (304 when unchanged). A member's page is kept under their id and what
the page frame shows of them, with their CSRF token as a slot filled for each request; it
stays `no-store` (forum/web/headers.py) and carries no validator. Only a plain GET with no
message waiting in the session is kept (a message is shown once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable

from flask import Flask, current_app, make_response, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from ..models import User
from ..render_cache import RenderCache

# The CSRF token in kept pages and cards, filled for each request. A NUL can't be in anything
# stored (forum/boundary.py removes it from all input), so no text can fake a slot.
CSRF_SLOT = "\x00csrf\x00"


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
    """The page kept under ``key`` (rendered and kept first if it isn't), as an answer; just
    rendered when a message is waiting (the key's queries run either way, so a page needs as
    many queries whatever the session holds)."""
    if not plain_get():
        return render()
    cache = render_cache()
    kept = cache.get(key)
    if kept is None:
        html = render()
        kept = (html, hashlib.blake2b(html.encode(), digest_size=16).hexdigest())
        cache.put(key, kept, size=len(html))
    return anonymous_answer(*kept)


def member_frame_key(viewer: User) -> tuple:
    """What templates/base.html shows of a signed-in member: every kept member page is keyed
    by it, so a change to any of these shows on the next page."""
    return (viewer.id, viewer.username, viewer.is_staff, viewer.is_verified, viewer.crisis_region)


def kept_page_for(viewer: User | None, key: tuple, render: Callable[[], str]):
    """``kept_page`` for a visitor; for a member, their own copy under their own key."""
    if viewer is None or not plain_get():
        return kept_page(key, render)
    key = ("member", *member_frame_key(viewer), *key)
    token = generate_csrf()
    cache = render_cache()
    kept = cache.get(key)
    if kept is None:
        kept = render().replace(token, CSRF_SLOT)
        cache.put(key, kept)
    return kept.replace(CSRF_SLOT, str(escape(token)))


def register(app: Flask) -> None:
    app.extensions["render_cache"] = RenderCache(app.config["RENDER_CACHE_BYTES"])
