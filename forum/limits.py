"""Rate limits shared by the web pages and the JSON API.

Each limit has one scope, so a member (or an address) has one budget whichever door they use:
password guesses through the login form and through POST /api/v1/tokens count together, and so
do posts written on the pages and through the API.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse

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


# --- per-account sign-in attempts --------------------------------------------------------
# Counted by hand rather than with a decorator: a spent budget must answer like a wrong
# password (plus "try again in N minutes"), not with a 429 that would tell an outsider that
# this name, rather than their address, is being watched. The name is hashed, so the shared
# storage never holds what people typed (sometimes a password in the wrong box).

MISMATCH = "That username and password don't match. Please try again."


def too_many_attempts(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return (f"There have been too many attempts to sign in to this account, so we've paused "
            f"them for a while to keep it safe. Please try again in {minutes} {unit}.")


def _account_key(account: object) -> str:
    name = account.strip().casefold() if isinstance(account, str) else ""
    return hashlib.sha256(name.encode()).hexdigest()


def sign_in_attempt(account: object) -> int | None:
    """Count one sign-in attempt for `account`: None while within budget, otherwise how many
    minutes until the account can be tried again. Any name counts, existing or not."""
    if not limiter.enabled:
        return None
    limit = parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"])
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    keys = (prefix, "login-account", _account_key(account))
    if limiter.limiter.hit(limit, *keys):
        return None
    reset_at, _ = limiter.limiter.get_window_stats(limit, *keys)
    return max(1, math.ceil((reset_at - time.time()) / 60))


# --- emails a visitor can make us send ----------------------------------------------------
# Per client address, and per recipient address named in the form (hashed), so neither one
# visitor nor many can make us mail one address again and again.

def _submitted_email() -> str:
    email = request.form.get("email", "")
    return "email:" + hashlib.sha256(email.strip().casefold().encode()).hexdigest()


email_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_EMAIL"], scope="email-address",
    key_func=get_remote_address, methods=["POST"],
)
email_recipient_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_EMAIL"], scope="email-recipient",
    key_func=_submitted_email, methods=["POST"],
)
# A signed-in member asking for a new confirmation link.
resend_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_EMAIL"], scope="email-member", key_func=_member_key,
    methods=["POST"],
)
# Looking members up by name (block, unblock): one budget per member, pages and API.
lookup_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_LOOKUP"], scope="lookup", key_func=_member_key,
)
