"""Bearer tokens for /api/v1: the one parser, and the decorators every API view uses.

Only `Authorization: Bearer <token>` (from `POST /api/v1/tokens`) is read; the session cookie
never is, which is why the API blueprints need no CSRF token. Every 401 is JSON with a
`WWW-Authenticate: Bearer` header, for the members' and the moderators' API alike:

* no Authorization header            → anonymous (`token_optional` views answer; others 401)
* a header that is not "Bearer <token>", or a token longer than TOKEN_MAX_LENGTH,
  or a token that is unknown, expired, revoked or signed out           → 401
* a valid token of a member on a moderators' route                     → 403
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, abort, g, jsonify, request

from .. import accounts
from ..models import User

TOKEN_MAX_LENGTH = 200
SIGN_IN = ("Please sign in: send 'Authorization: Bearer <token>' "
           "(a token comes from POST /api/v1/tokens).")
NOT_VALID = ("That token isn't valid (it may have expired or been signed out). "
             "Please request a new one from POST /api/v1/tokens.")


def unauthorized(message: str) -> Response:
    response = jsonify({"error": "unauthorized", "message": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="forum"'
    return response


def bearer_token() -> str | None:
    """The token from the Authorization header; "" when the header is there but malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX_LENGTH:
        return ""
    return token


def _resolve_caller() -> Response | None:
    """Set g.api_user from the bearer token; a 401 response when a token is given but not valid."""
    g.api_user = None
    token = bearer_token()
    if token is None:
        return None
    user: User | None = accounts.user_for_token(token) if token else None
    if user is None:
        return unauthorized(NOT_VALID)
    g.api_user = user
    return None


def require_member() -> Response | None:
    """For a before_request hook: None when a valid token came, else the 401 to answer."""
    problem = _resolve_caller()
    if problem is not None:
        return problem
    if g.api_user is None:
        return unauthorized(SIGN_IN)
    return None


def require_staff() -> Response | None:
    """As `require_member`, and members who aren't moderators get 403."""
    problem = require_member()
    if problem is not None:
        return problem
    if not g.api_user.is_staff:
        abort(403, description="This is for moderators.")
    return None


def _guarded(check: Callable[[], Response | None]) -> Callable[[Callable], Callable]:
    """A view decorator that answers with `check()`'s response when it gives one."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            problem = check()
            return problem if problem is not None else view(*args, **kwargs)

        return wrapper

    return decorator


# A valid token is required.
token_required = _guarded(require_member)
# Anonymous callers are welcome; a token, when sent, must be valid.
token_optional = _guarded(_resolve_caller)


def no_store(response: Response) -> Response:
    """after_request for the API blueprints: answers depend on who asks, never cache them."""
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response
