"""Sign-up, sign-in and sign-out pages; the login manager and the remember-me cookie.

Sessions live on the server (forum/sign_ins.py): the session cookie names one sign-in row, so
signing out ends it even where the cookie has been copied. "Keep me signed in" is a separate
cookie holding a random token for that row; it restores a session after the browser restarts
and is replaced by a new token each time it does.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts, sign_ins
from ..errors import Conflict, InvalidInput
from ..extensions import login_manager
from ..limits import (
    MISMATCH,
    login_limit,
    registration_limit,
    sign_in_attempt,
    too_many_attempts,
)
from ..models import User
from .appeals import remember_suspended
from .forms import ActionForm, LoginForm, RegisterForm, apply_error
from .helpers import member
from .redirects import safe_next_url

bp = Blueprint("auth", __name__)

CHECK_EMAIL = ("Thank you. We've sent an email to the address you gave: please open the link "
               "in it to finish. If it doesn't arrive in a few minutes, check your spam folder.")


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "basic": a session whose address or browser changed is kept but no longer fresh, so the
    # moderators' area asks for the password again. "strong" dropped such sessions outright,
    # which signed out everyone whose phone changed networks; the server-side sign-ins are
    # what ends a stolen session now.
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_send_to_login)
    login_manager.request_loader(_restore_from_cookie)
    app.after_request(_update_keep_signed_in_cookie)


def _send_to_login():
    """Anonymous visitors to a writing route go to the sign-in page, then come back.

    For a POST (e.g. a reply button) "back" means the page the form was on, not the
    POST-only address.
    """
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc == request.host
        target = (referrer.path + (f"?{referrer.query}" if referrer.query else "")) if same_site else ""
    flash("Please sign in to continue.", "info")
    return redirect(url_for("auth.login", next=safe_next_url(target, "") or None))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return sign_ins.for_session(session_id)


def _restore_from_cookie(req) -> User | None:
    """A remembered member whose browser restarted: a new session, a new cookie."""
    if req.path.startswith("/api/"):  # the API reads bearer tokens only
        return None
    token = req.cookies.get(current_app.config["KEEP_SIGNED_IN_COOKIE"])
    if not token:
        return None
    restored = sign_ins.restore(token, req.user_agent.string)
    if restored is None:
        g.keep_signed_in = ""  # unknown, expired or revoked: remove it
        return None
    session.clear()
    login_user(restored.user, fresh=False)
    g.keep_signed_in = restored.remember_token
    return restored.user


def _update_keep_signed_in_cookie(response: Response) -> Response:
    token = g.pop("keep_signed_in", None)
    if token is None:
        return response
    config = current_app.config
    name = config["KEEP_SIGNED_IN_COOKIE"]
    if token:
        response.set_cookie(
            name, token, max_age=int(timedelta(days=config["REMEMBER_DAYS"]).total_seconds()),
            httponly=True, samesite="Lax", secure=config["KEEP_SIGNED_IN_SECURE"],
        )
    else:
        response.delete_cookie(name, httponly=True, samesite="Lax",
                               secure=config["KEEP_SIGNED_IN_SECURE"])
    response.vary.add("Cookie")
    return response


def start_session(user: User, remember: bool = False) -> None:
    """Sign `user` in on this device: a new server-side sign-in and a fresh session."""
    # Nothing from before (e.g. a planted value) carries over.
    session.clear()
    token = sign_ins.start(user, remember, request.user_agent.string)
    login_user(user)
    g.keep_signed_in = token or ""


def end_browser_session() -> None:
    """Forget the signed-in member in this browser: the session and the keep-me-signed-in
    cookie (the caller has already ended the sign-in on the server)."""
    logout_user()
    session.clear()
    g.keep_signed_in = ""


@bp.route("/register", methods=["GET", "POST"])
@registration_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("board.index"))
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            accounts.register(form.username.data, form.email.data, form.password.data)
        except (InvalidInput, Conflict) as error:
            apply_error(form, error)
        else:
            # The same answer whether the account is new or the address already had one.
            flash(CHECK_EMAIL, "success")
            return redirect(url_for("email_links.check_email"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next"), url_for("board.index")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        wait_minutes = sign_in_attempt(form.username.data)
        if wait_minutes is not None:
            accounts.spend_hashing_time(form.password.data)
            user = None
        else:
            user = accounts.check_credentials(form.username.data, form.password.data)
        if user is not None and not user.is_active:
            # The right password for a suspended account: its owner may still appeal (and
            # reach nothing else); they already know the account exists.
            remember_suspended(user)
            return redirect(url_for("appeals.suspended"))
        if user is not None:
            start_session(user, remember=bool(form.remember.data))
            flash(f"Welcome back, {user.username}.", "success")
            return redirect(safe_next_url(form.next.data, url_for("board.index")))
        # One message for every failure: it doesn't say whether the username exists.
        form.form_errors.append(MISMATCH)
        if wait_minutes is not None:
            form.form_errors.append(too_many_attempts(wait_minutes))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ActionForm()
    if not form.validate_on_submit():  # CSRFProtect already refused a missing token
        return redirect(url_for("board.index"))
    sign_ins.end(member())
    end_browser_session()
    flash("You're signed out. Take care of yourself.", "info")
    return redirect(url_for("board.index"))
