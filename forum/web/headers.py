"""The security headers every response carries, and the one frame-able exception.

Everything is served locally: no CDN, no inline scripts, so the Content-Security-Policy can be
strict. A signed-in page or any API answer may hold private things (held posts, the queue, who
one blocked): it is never kept by a shared or back-button cache. Anonymous pages stay
cacheable.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

# The only pages search engines may index: the front page and the about page (and robots.txt
# itself). Everything else — threads, categories, profiles, the API — carries `noindex` in an
# X-Robots-Tag header and a <meta name="robots">, and robots.txt disallows it, so a search for
# a member's story or username finds nothing here. Signed-in pages are never indexable.
INDEXABLE_ENDPOINTS = frozenset({"board.index", "board.about", "robots_txt"})
ROBOTS_TXT = """\
# Members' stories are not for search engines. Only the front and about pages may be indexed.
User-agent: *
Allow: /$
Allow: /about$
Disallow: /
"""


def indexable() -> bool:
    return request.endpoint in INDEXABLE_ENDPOINTS and not current_user.is_authenticated


def robots_txt() -> Response:
    return Response(ROBOTS_TXT, mimetype="text/plain")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# The digest email previewed in a frame: its own inline CSS is allowed there, nothing else.
EMAIL_FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/") or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    if not indexable():
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def email_frame(response: Response) -> Response:
    """Let a page of ours frame this response (the digest preview), and nothing else."""
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.add_url_rule("/robots.txt", "robots_txt", robots_txt)
    app.context_processor(lambda: {"page_indexable": indexable})
