"""The signed one-click unsubscribe link from digest emails (RFC 8058).

The token carries a random per-member key, not the user id (forum/digest/message.py); a member
can replace their links from the settings page, and old links then get a clear page.

GET shows a confirm page (mail scanners prefetch links: a GET never changes anything).
POST turns the digest off without a login and without a CSRF token: mail clients send
`List-Unsubscribe=One-Click` there on their own, and the signed token is the authorisation.
"""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template

from .. import digest
from ..extensions import csrf

bp = Blueprint("unsubscribe", __name__)


def _page(template: str, status: int = 200, **context) -> Response:
    response = make_response(render_template(template, **context), status)
    # The token is a credential: keep the page out of caches and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _member(token: str):
    """(member, None) for a good token, or (None, error response)."""
    try:
        return digest.read_unsubscribe_token(token), None
    except digest.UnsubscribeTokenError as exc:
        return None, _page("digest/unsubscribe_invalid.html", 400, expired=exc.expired,
                           replaced=exc.replaced)


@bp.get("/unsubscribe/<token>")
def confirm(token: str) -> Response:
    member, problem = _member(token)
    if problem is not None:
        return problem
    return _page("digest/unsubscribe_confirm.html", token=token, username=member.username,
                 already_off=member.digest_frequency == "off",
                 frequency=member.digest_frequency)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def one_click(token: str) -> Response:
    member, problem = _member(token)
    if problem is not None:
        return problem
    digest.unsubscribe(member.id)
    return _page("digest/unsubscribe_done.html", username=member.username,
                 settings_url=digest.settings_url())
