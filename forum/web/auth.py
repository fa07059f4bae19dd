"""Sign-up, sign-in and sign-out pages; the login manager's user loader."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts
from ..errors import Conflict, InvalidInput
from ..extensions import db, login_manager
from ..limits import login_limit, registration_limit
from ..models import User
from .forms import ActionForm, LoginForm, RegisterForm, apply_error
from .redirects import safe_next_url

bp = Blueprint("auth", __name__)


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(_send_to_login)


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
def load_user(user_id: str) -> User | None:
    # ids carry the session version: changing the password or suspending signs out everywhere.
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user


def _start_session(user: User, remember: bool = False) -> None:
    # A fresh session on sign-in: nothing from before (e.g. a planted value) carries over.
    session.clear()
    login_user(user, remember=remember)


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
            user = accounts.create_user(form.username.data, form.email.data, form.password.data)
        except (InvalidInput, Conflict) as error:
            apply_error(form, error)
        else:
            _start_session(user)
            flash(f"Welcome, {user.username}. We're glad you found us.", "success")
            return redirect(safe_next_url(form.next.data, url_for("board.index")))
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
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            _start_session(user, remember=bool(form.remember.data))
            flash(f"Welcome back, {user.username}.", "success")
            return redirect(safe_next_url(form.next.data, url_for("board.index")))
        # One message for every failure: it doesn't say whether the username exists.
        form.form_errors.append("That username and password don't match. Please try again.")
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ActionForm()
    if not form.validate_on_submit():  # CSRFProtect already refused a missing token
        return redirect(url_for("board.index"))
    logout_user()
    session.clear()
    flash("You're signed out. Take care of yourself.", "info")
    return redirect(url_for("board.index"))
