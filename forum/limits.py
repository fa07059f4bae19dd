"""Rate limits shared by the web pages and the JSON API.

Each limit has one scope, so a member (or an address) has one budget whichever door they use:
password guesses through the login form and through POST /api/v1/tokens count together, and so
do posts written on the pages and through the API.
"""

from __future__ import annotations

from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_login import current_user

from . import trust
from .extensions import limiter


def _signed_in_member():
    member = g.get("api_user")
    if member is None and current_user.is_authenticated:
        member = current_user
    return member


def _posting_budget() -> str:
    """New members (trust level "new") get the tighter RATELIMIT_POSTING_NEW; everyone else the
    usual RATELIMIT_POSTING. The same scope and key either way: one budget per member."""
    if trust.level_of(_signed_in_member()) == trust.TrustLevel.NEW.value:
        return current_app.config["RATELIMIT_POSTING_NEW"]
    return current_app.config["RATELIMIT_POSTING"]


def _member_key() -> str:
    # Per member when signed in (page session or API token), so people sharing an
    # address don't throttle each other; per address otherwise.
    member = g.get("api_user")
    if member is None and current_user.is_authenticated:
        member = current_user
    if member is not None:
        return f"member:{member.id}"
    return get_remote_address()


login_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_LOGIN"], scope="login", key_func=get_remote_address,
    methods=["POST"],
)
registration_limit = limiter.limit(
    lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"]
)
posting_limit = limiter.shared_limit(
    _posting_budget, scope="posting", key_func=_member_key,
    methods=["POST", "PATCH"],
)
report_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_POSTING"], scope="reports", key_func=_member_key,
    methods=["POST"],
)
