"""Email verification: a new account confirms its address by a one-use, expiring link before
it can post or get digests; bad links get kind 4xx pages; new links on request, rate limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum import email_links
from forum.digest.ledger import count_due
from forum.digest.periods import period_before
from forum.extensions import db
from forum.models import EmailToken, EmailTokenPurpose, Thread, User, utcnow
from tests.support.api import API, NEW_THREAD, assert_error, bearer
from tests.support.factories import PASSWORD, count, make_user
from tests.support.mail import link_in
from tests.support.web import csrf_from, login, post_form


def register(client, username="new_member", email="new@example.test"):
    return client.post("/register", data={
        "username": username, "email": email, "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_from(client, "/register"),
    })


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def member(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username_key == username))


@pytest.mark.both_databases
def test_the_emailed_link_confirms_the_address_once(app, client, outbox):
    assert register(client).status_code == 302
    link = link_in(outbox.to("new@example.test")[0], "/verify/")
    assert member("new_member").email_verified_at is None

    page = client.get(link)  # opening the link changes nothing yet (mail scanners open links)
    assert page.status_code == 200 and "Confirm my address" in page.get_data(as_text=True)
    assert member("new_member").email_verified_at is None

    confirmed = post_form(client, link, token_page=link)
    assert confirmed.status_code == 302
    assert member("new_member").email_verified_at is not None

    again = client.get(link)
    assert again.status_code == 409
    assert "already been used" in again.get_data(as_text=True)
    assert "already confirmed" in again.get_data(as_text=True)


@pytest.mark.both_databases
def test_an_expired_link_says_so_kindly_and_offers_a_new_one(app, client, outbox):
    register(client)
    link = link_in(outbox[0], "/verify/")
    db.session.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()

    page = client.get(link)
    text = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "This link has expired" in text and "nothing is wrong with your account" in text
    assert "Sign in" in text
    # Posting to the expired link doesn't confirm anything either.
    assert post_form(client, link, token_page="/login").status_code == 410
    assert member("new_member").email_verified_at is None

    login(client, "new_member")
    page = client.get(link).get_data(as_text=True)
    assert "Send me a new link" in page
    outbox.clear()
    assert post_form(client, "/verify/resend").status_code == 302
    [message] = outbox.to("new@example.test")
    new_link = link_in(message, "/verify/")
    assert new_link != link
    assert post_form(client, new_link, token_page=new_link).status_code == 302
    assert member("new_member").is_verified


@pytest.mark.parametrize("token", [
    "x" * 43, "short", "a" * 5000, "%00%00", "..%2f..%2fetc", "\u00e9" * 43, "a b",
])
def test_tampered_or_unknown_links_get_a_clear_404_page(app, client, token):
    for path in (f"/verify/{token}", f"/reset/{token}"):
        response = client.get(path)
        assert response.status_code == 404, path
        if "%2f" not in token:  # a slash makes it another address altogether
            assert "We don&#39;t recognise this link" in response.get_data(as_text=True)
        posted = post_form(client, path, {"password": "a new long password", "confirm":
                                          "a new long password"}, token_page="/login")
        assert posted.status_code == 404


def test_a_link_with_one_character_changed_is_not_accepted(app, client, outbox):
    register(client)
    link = link_in(outbox[0], "/verify/")
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert client.get(tampered).status_code == 404
    assert post_form(client, tampered, token_page="/login").status_code == 404
    assert member("new_member").email_verified_at is None


@pytest.mark.both_databases
def test_an_unverified_member_can_read_but_not_post_on_pages_or_api(app, client):
    author = make_user("verified_author")
    newcomer = make_user("newcomer", verified=False)
    login(client, "newcomer")
    assert client.get("/").status_code == 200
    page = post_form(client, "/new", {"category": "introductions", "title": "Hello there",
                                      "body": "Glad to be here."}, token_page="/new")
    # The page keeps what they wrote (as for a silenced member) and says why.
    assert page.status_code == 422
    assert "confirm your email address" in page.get_data(as_text=True)
    assert "Glad to be here." in page.get_data(as_text=True)
    assert count(Thread) == 0

    answer = client.post(f"{API}/threads", json=NEW_THREAD, headers=bearer(newcomer))
    body = assert_error(answer, 403, "email_unverified")
    assert "confirm your email address" in body["message"]
    assert count(Thread) == 0
    assert client.post(f"{API}/threads", json=NEW_THREAD, headers=bearer(author)).status_code == 201


@pytest.mark.both_databases
def test_digests_go_only_to_confirmed_addresses(app):
    make_user("confirmed_one")
    make_user("unconfirmed_one", verified=False)
    period = period_before("weekly", utcnow() + timedelta(days=8))
    assert count_due(period) == 1


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_EMAIL="2 per hour")
    return app_config


def test_new_links_are_rate_limited_per_member(limited, app, client, outbox):
    make_user("waiting", verified=False)
    login(client, "waiting")
    for _ in range(2):
        assert post_form(client, "/verify/resend").status_code == 302
    refused = post_form(client, "/verify/resend")
    assert refused.status_code == 429
    assert "slow down" in refused.get_data(as_text=True)
    assert len(outbox) == 2


def test_a_new_link_replaces_the_older_one(app, outbox):
    user = make_user("twice", verified=False)
    first = email_links.issue(user, EmailTokenPurpose.VERIFY)
    second = email_links.issue(user, EmailTokenPurpose.VERIFY)
    assert email_links.look_up(first, EmailTokenPurpose.VERIFY).state == "unknown"
    assert email_links.look_up(second, EmailTokenPurpose.VERIFY).state == "ok"
    # A verify link is no reset link.
    assert email_links.look_up(second, EmailTokenPurpose.RESET).state == "unknown"


def test_links_are_stored_hashed(app):
    user = make_user("hashed", verified=False)
    token = email_links.issue(user, EmailTokenPurpose.VERIFY)
    stored = db.session.scalars(select(EmailToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_verified_members_see_no_banner_and_cannot_resend(app, client, outbox):
    make_user("settled")
    login(client, "settled")
    assert "Please confirm your email address" not in client.get("/").get_data(as_text=True)
    post_form(client, "/verify/resend")
    assert outbox == []
