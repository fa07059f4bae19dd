"""Sign-up, sign-in, sign-out, safe redirects, rate limits and password changes (pages)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post, User, utcnow
from tests.support.factories import PASSWORD, make_thread, make_user
from tests.support.web import login

pytestmark = pytest.mark.usefixtures("no_csrf")


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def register(client, username="new_member", email="new@example.test", password=PASSWORD,
             confirm=None):
    return client.post("/register", data={
        "username": username, "email": email, "password": password,
        "confirm": password if confirm is None else confirm,
    })


def test_register_creates_an_unverified_member_and_mails_a_link(app, client, outbox):
    page = client.get("/register").get_data(as_text=True)
    assert "identify you offline" in page  # the pseudonymous-username hint

    response = register(client, email="Private.Person@example.test")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/check-email"
    user = db.session.scalar(select(User).where(User.username_key == "new_member"))
    assert user is not None and user.email == "private.person@example.test"
    assert user.password_hash != PASSWORD
    assert user.email_verified_at is None
    # Not signed in: the answer must look the same when the address already had an account.
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    [message] = outbox.to("private.person@example.test")
    assert "/verify/" in message.get_content()

    assert login(client, "new_member").status_code == 302
    index = client.get("/").get_data(as_text=True)
    assert "Sign out" in index and "new_member" in index
    assert "Please confirm your email address" in index
    assert "private.person" not in index.lower()


def test_register_refuses_a_taken_username_and_keeps_the_form(app, client):
    make_user("Taken_Name")
    before = user_count()
    response = register(client, username="taken_name", email="other@example.test")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That username is taken" in page
    assert 'value="taken_name"' in page
    assert user_count() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"confirm": "something else entirely"}, "The two passwords don&#39;t match."),
        ({"password": "short"}, "Passwords need at least 10 characters."),
        ({"username": "a b"}, "Usernames are 3–32 letters"),
        ({"email": "not-an-email"}, "Please give a valid email address"),
        ({"username": "admin"}, "That name is too close to a name reserved for the forum team"),
    ],
)
def test_register_explains_bad_input_without_creating_anyone(app, client, fields, message):
    before = user_count()
    response = register(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count() == before


def test_login_with_the_right_password_signs_in(app, client):
    make_user("alice")
    response = login(client, "ALICE")  # usernames are case-insensitive
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/"
    assert "Sign out" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("username", ["alice", "nobody_here"])
def test_login_failure_says_the_same_for_unknown_and_wrong_password(app, client, username):
    make_user("alice")
    response = login(client, username, password="wrong password!")
    assert response.status_code == 422
    assert "That username and password don&#39;t match" in response.get_data(as_text=True)
    assert "Sign out" not in client.get("/").get_data(as_text=True)


def test_suspended_member_cannot_sign_in(app, client):
    user = make_user("alice")
    user.suspended_at = utcnow()
    db.session.commit()
    assert login(client, "alice", password="not the password").status_code == 422
    # The right password leads only to the page where they can appeal; they are not signed in.
    response = login(client, "alice")
    assert response.status_code == 302 and response.location.endswith("/appeal/suspended")
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    assert client.get("/account/settings").status_code == 302


def test_login_follows_a_same_site_next_path(app, client):
    make_user("alice")
    thread = make_thread(make_user()).thread
    response = login(client, "alice", next_url=f"/t/{thread.id}?page=1")
    assert response.status_code == 302
    assert response.location == f"/t/{thread.id}?page=1"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aLocation: x\r\n",
        "/ok\tbut-tab",
        "evil.example",
    ],
)
def test_login_ignores_next_urls_that_leave_the_site(app, client, next_url):
    make_user("alice")
    response = login(client, "alice", next_url=next_url)
    assert response.status_code == 302
    assert response.location == "/"


def test_anonymous_visitors_are_sent_to_sign_in_for_writing(app, client):
    thread = make_thread(make_user()).thread
    response = client.get("/new")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/login"
    assert parse_qs(target.query)["next"] == ["/new"]

    response = client.post(
        f"/t/{thread.id}/reply", data={"body": "hello"},
        headers={"Referer": f"http://localhost/t/{thread.id}"},
    )
    assert urlsplit(response.location).path == "/login"
    assert parse_qs(urlsplit(response.location).query)["next"] == [f"/t/{thread.id}"]
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1

    for path in ("/account/settings", "/blocked"):
        assert urlsplit(client.get(path).location).path == "/login"


def test_logout_needs_a_post_and_then_signs_out(app, client):
    make_user("alice")
    login(client, "alice")
    assert client.get("/logout").status_code == 405
    assert "Sign out" in client.get("/").get_data(as_text=True)
    response = client.post("/logout")
    assert response.status_code == 302
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    assert urlsplit(client.get("/new").location).path == "/login"


def test_changing_password_signs_out_other_devices_but_not_this_one(app):
    make_user("alice")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "alice")
    login(elsewhere, "alice")
    response = here.post("/account/settings/password", data={
        "password-current_password": PASSWORD,
        "password-password": "a brand new passphrase",
        "password-confirm": "a brand new passphrase",
    })
    assert response.status_code == 302
    assert here.get("/account/settings").status_code == 200
    assert urlsplit(elsewhere.get("/account/settings").location).path == "/login"
    assert login(app.test_client(), "alice", "a brand new passphrase").status_code == 302


def test_changing_password_needs_the_current_one(app, client):
    make_user("alice")
    login(client, "alice")
    response = client.post("/account/settings/password", data={
        "password-current_password": "not my password",
        "password-password": "a brand new passphrase",
        "password-confirm": "a brand new passphrase",
    })
    assert response.status_code == 422
    assert "Your current password doesn&#39;t match." in response.get_data(as_text=True)


class TestRateLimits:
    @pytest.fixture(autouse=True)
    def _limits_on(self, app_config):
        app_config.update(
            RATELIMIT_ENABLED=True,
            RATELIMIT_LOGIN="3 per minute",
            RATELIMIT_REGISTER="2 per hour",
            RATELIMIT_STORAGE_URI="memory://",
        )

    def test_login_attempts_are_limited(self, app, client):
        make_user("alice")
        for _ in range(3):
            assert login(client, "alice", password="wrong password!").status_code == 422
        response = login(client, "alice")
        assert response.status_code == 429
        assert "wait a minute" in response.get_data(as_text=True)
        # Reading the sign-in page is not counted.
        assert client.get("/login").status_code == 200

    def test_registrations_are_limited(self, app, client):
        assert register(client, username="first_one", email="1@example.test").status_code == 302
        client.post("/logout")
        assert register(client, username="second_one", email="2@example.test").status_code == 302
        client.post("/logout")
        assert register(client, username="third_one", email="3@example.test").status_code == 429
        assert db.session.scalar(select(User).where(User.username_key == "third_one")) is None
