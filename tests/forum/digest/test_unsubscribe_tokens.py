"""Opaque unsubscribe links: a signed random per-member key (never the user id), revocable from
the settings page; old id links keep working until they expire unless replaced; every page
says clearly what happened, and none is cached."""

from __future__ import annotations

import base64
import json

import pytest
from itsdangerous import URLSafeTimedSerializer

from forum import digest
from forum.extensions import db
from forum.models import User
from tests.support.factories import make_user
from tests.support.web import login, post_form


def _payload(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


@pytest.mark.both_databases
def test_the_link_carries_a_random_key_not_the_user_id(app, client):
    member = make_user("river_stone")
    url = digest.unsubscribe_url(member.id)
    token = url.rsplit("/", 1)[1]
    payload = _payload(token)
    assert set(payload) == {"k"} and payload["k"] == member.unsubscribe_key
    assert "u" not in payload  # the old {"u": user id} shape is gone
    assert len(member.unsubscribe_key) >= 32
    assert make_user().unsubscribe_key != member.unsubscribe_key
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "off"


@pytest.mark.both_databases
def test_replacing_the_links_revokes_old_ones_with_a_clear_page(app, client):
    member = make_user("river_stone")
    old_token = digest.make_unsubscribe_token(member)
    legacy = URLSafeTimedSerializer(app.config["SECRET_KEY"],
                                    salt=digest.UNSUBSCRIBE_SALT).dumps({"u": member.id})
    # A link from before this change (it shows the id) still works during its grace period.
    assert client.get(f"/unsubscribe/{legacy}").status_code == 200

    login(client, "river_stone")
    done = post_form(client, "/account/settings/unsubscribe-links", {},
                     token_page="/account/settings")
    assert done.status_code == 302
    db.session.expire_all()
    member = db.session.get(User, member.id)
    for token in (old_token, legacy):
        page = client.post(f"/unsubscribe/{token}")
        assert page.status_code == 400 and "has been replaced" in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "weekly"
    new = digest.make_unsubscribe_token(member)
    assert client.get(f"/unsubscribe/{new}").status_code == 200


def test_replacing_needs_csrf_and_a_signed_in_member(app, client):
    member = make_user("river_stone")
    key = member.unsubscribe_key
    assert client.post("/account/settings/unsubscribe-links").status_code in (302, 400, 401)
    login(client, "river_stone")
    assert client.post("/account/settings/unsubscribe-links").status_code in (400, 302)
    db.session.expire_all()
    assert db.session.get(User, member.id).unsubscribe_key == key


def test_a_key_payload_of_the_wrong_shape_is_just_invalid(app, client):
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=digest.UNSUBSCRIBE_KEY_SALT)
    for payload in ({"k": 5}, {"k": ""}, ["k"], {"u": 1}, {"k": "no-such-key"}):
        response = client.post(f"/unsubscribe/{signer.dumps(payload)}")
        assert response.status_code == 400 and "isn't valid" in response.get_data(as_text=True)
