"""Sessions end on the server: sign-out, "sign out everywhere", password changes; "keep me
signed in" is one rotating, revocable token per sign-in (the browser test restarts Chromium)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import SignIn
from tests.support.api import API, api_token
from tests.support.factories import PASSWORD, make_user
from tests.support.web import csrf_from, login, post_form

REMEMBER = "forum_remember"


def signed_in(client) -> bool:
    return "Sign out" in client.get("/").get_data(as_text=True)


def sign_in(client, username: str, remember: bool = False, password: str = PASSWORD):
    data = {"username": username, "password": password, "csrf_token": csrf_from(client, "/login")}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value)


def restart_browser(client) -> None:
    """What a browser restart does: session cookies go, persistent cookies stay."""
    client.delete_cookie("session")


def sign_in_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(SignIn))


@pytest.mark.both_databases
def test_a_copied_session_cookie_stops_working_after_sign_out(app, client):
    make_user("alice")
    sign_in(client, "alice")
    thief = app.test_client()
    copy_cookie(client, thief, "session")
    assert signed_in(thief)

    assert post_form(client, "/logout").status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief)
    assert sign_in_rows() == 0


@pytest.mark.both_databases
def test_keep_me_signed_in_survives_a_restart_and_rotates_its_token(app, client):
    make_user("alice")
    response = sign_in(client, "alice", remember=True)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Max-Age=2592000" in header
    assert "Secure" not in header  # development; production: see the next test
    first = client.get_cookie(REMEMBER).value

    restart_browser(client)
    assert signed_in(client)
    second = client.get_cookie(REMEMBER).value
    assert second != first  # rotated on use

    # The old token no longer works (someone who copied it before the rotation).
    stale = app.test_client()
    stale.set_cookie(REMEMBER, first)
    assert not signed_in(stale)
    assert stale.get_cookie(REMEMBER) is None  # and is removed
    assert sign_in_rows() == 1

    restart_browser(client)
    assert signed_in(client)


def test_without_the_box_a_restart_signs_out(app, client):
    make_user("alice")
    sign_in(client, "alice")
    assert client.get_cookie(REMEMBER) is None
    restart_browser(client)
    assert not signed_in(client)


def test_the_cookie_is_secure_in_production(app_config, app, client):
    app.config["KEEP_SIGNED_IN_SECURE"] = True
    make_user("alice")
    response = sign_in(client, "alice", remember=True)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    assert "Secure" in header


def test_production_config_makes_cookies_secure(tmp_path):
    from forum.config import load_config

    config = load_config(tmp_path, {"FORUM_ENV": "production", "FORUM_SECRET_KEY": "k" * 40})
    assert config["KEEP_SIGNED_IN_SECURE"] and config["SESSION_COOKIE_SECURE"]


@pytest.mark.both_databases
def test_signing_out_revokes_that_devices_remember_token_only(app, client):
    make_user("alice")
    sign_in(client, "alice", remember=True)
    phone = app.test_client()
    sign_in(phone, "alice", remember=True)
    copied = client.get_cookie(REMEMBER).value

    post_form(client, "/logout")
    assert client.get_cookie(REMEMBER) is None
    thief = app.test_client()
    thief.set_cookie(REMEMBER, copied)
    assert not signed_in(thief)

    restart_browser(phone)
    assert signed_in(phone)  # the other sign-in is untouched


@pytest.mark.both_databases
def test_sign_out_everywhere_ends_every_session_token_and_api_token(app, client):
    make_user("alice")
    sign_in(client, "alice", remember=True)
    laptop = app.test_client()
    sign_in(laptop, "alice", remember=True)
    headers = api_token(app.test_client(), "alice")
    settings = client.get("/account/settings").get_data(as_text=True)
    assert "Where you're signed in" in settings and "(this device)" in settings

    response = post_form(client, "/account/settings/sign-out-everywhere", token_page="/account/settings")
    assert response.status_code == 302
    assert not signed_in(client)
    assert not signed_in(laptop)
    restart_browser(laptop)
    assert not signed_in(laptop)
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    assert sign_in_rows() == 0


@pytest.mark.both_databases
def test_changing_the_password_keeps_this_device_and_ends_the_others(app, client):
    make_user("alice")
    sign_in(client, "alice", remember=True)
    other = app.test_client()
    sign_in(other, "alice", remember=True)
    new = "a different long passphrase"
    response = post_form(client, "/account/settings/password", {
        "password-current_password": PASSWORD, "password-password": new,
        "password-confirm": new}, token_page="/account/settings")
    assert response.status_code == 302
    assert signed_in(client)
    restart_browser(client)
    assert signed_in(client)  # this device's "keep me signed in" still works
    assert not signed_in(other)
    restart_browser(other)
    assert not signed_in(other)


@pytest.mark.parametrize("value", ["", "x", "a" * 43, "a" * 4000, "é" * 43, "1:abc", "null"])
def test_tampered_cookies_are_just_signed_out(app, client, value):
    make_user("alice")
    client.set_cookie(REMEMBER, value)
    response = client.get("/")
    assert response.status_code == 200
    assert "Sign out" not in response.get_data(as_text=True)


def test_a_forged_session_naming_a_user_id_is_refused(app, client):
    user = make_user("alice")
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:1"  # the old "id:version" shape
        session["_fresh"] = True
    assert not signed_in(client)


def test_a_restored_session_is_not_fresh_so_moderators_confirm_the_password(app, client):
    make_user("mod_rowan", role="moderator")
    sign_in(client, "mod_rowan", remember=True)
    assert client.get("/mod/").status_code == 200
    restart_browser(client)
    response = client.get("/mod/")
    assert response.status_code == 302 and "/mod/confirm" in response.location


def test_a_changed_browser_keeps_the_session_but_not_its_freshness(app, client):
    make_user("mod_rowan", role="moderator")
    sign_in(client, "mod_rowan")
    client.environ_base["HTTP_USER_AGENT"] = "Another browser/1.0"
    assert signed_in(client)  # "basic" protection: kept ...
    response = client.get("/mod/")
    assert response.status_code == 302 and "/mod/confirm" in response.location  # ... not fresh


def test_sessions_are_stored_hashed_with_a_device_summary(app, client):
    make_user("alice")
    client.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    sign_in(client, "alice", remember=True)
    row = db.session.scalar(select(SignIn))
    assert row.device == "Firefox on Linux"
    assert client.get_cookie(REMEMBER).value not in (row.remember_hash, row.session_hash)
    assert len(row.remember_hash) == 64


def test_the_api_never_reads_the_remember_cookie(app, client):
    make_user("alice")
    sign_in(client, "alice", remember=True)
    restart_browser(client)
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_login_helper_still_works(app, client):
    make_user("alice")
    assert login(client, "alice").status_code == 302


def test_expired_sign_ins_no_longer_work_and_are_tidied_away(app, client):
    from datetime import timedelta

    from sqlalchemy import update

    from forum.models import utcnow

    make_user("alice")
    sign_in(client, "alice", remember=True)
    db.session.execute(update(SignIn).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(client)
    restart_browser(client)
    assert not signed_in(client)
    sign_in(app.test_client(), "alice")
    assert sign_in_rows() == 1
