"""robots.txt, noindex everywhere but the front and about pages, the closed-category page, and
the moderators' page for who reads what (CSRF on, as in production)."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import AuditEntry, Category
from tests.support.factories import make_user
from tests.support.web import csrf_from, login

pytestmark = pytest.mark.both_databases


def test_robots_txt_disallows_everything_but_the_public_pages(client):
    answer = client.get("/robots.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    lines = answer.get_data(as_text=True).splitlines()
    assert "Disallow: /" in lines and "Allow: /$" in lines and "Allow: /about$" in lines
    assert "X-Robots-Tag" not in answer.headers


@pytest.mark.parametrize("path", ["/", "/about"])
def test_the_front_and_about_pages_may_be_indexed(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert "X-Robots-Tag" not in answer.headers
    assert 'name="robots"' not in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/c/healing-and-self-care", "/c/going-no-contact", "/login",
                                  "/register", "/t/1", "/api/v1/categories", "/nowhere"])
def test_every_other_page_says_noindex(client, path):
    answer = client.get(path)
    assert "noindex" in answer.headers["X-Robots-Tag"]
    if answer.mimetype == "text/html":
        assert '<meta name="robots" content="noindex, nofollow">' in answer.get_data(as_text=True)


def test_signed_in_pages_are_never_indexable(app, client):
    make_user("fernleaf")
    assert login(client, "fernleaf").status_code == 302
    assert "noindex" in client.get("/").headers["X-Robots-Tag"]


def test_a_closed_category_explains_itself_kindly_and_lists_nothing(client):
    page = client.get("/c/going-no-contact")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "for signed-in members" in text and "thread-list" not in text


def _moderator_client(client):
    make_user("mod_rowan", role="moderator")
    assert login(client, "mod_rowan").status_code == 302
    return client


def test_moderators_set_a_category_visibility_on_the_page(app, client):
    _moderator_client(client)
    page = client.get("/mod/access")
    assert page.status_code == 200
    token = csrf_from(client, "/mod/access")
    answer = client.post("/mod/access/categories/low-contact",
                         data={"visibility": "trusted", "csrf_token": token})
    assert answer.status_code == 303
    assert db.session.query(Category).filter_by(slug="low-contact").one().visibility == "trusted"
    entry = db.session.query(AuditEntry).filter_by(action="category_visibility_set").one()
    assert entry.details == {"category": "low-contact", "before": "members", "after": "trusted"}


@pytest.mark.parametrize("data", [
    {"visibility": "nobody"}, {"visibility": ""}, {}, {"visibility": ["a", "b"]},
])
def test_bad_visibility_is_refused_without_change(app, client, data):
    _moderator_client(client)
    token = csrf_from(client, "/mod/access")
    answer = client.post("/mod/access/categories/low-contact", data={**data, "csrf_token": token})
    assert answer.status_code == 303
    assert db.session.query(Category).filter_by(slug="low-contact").one().visibility == "members"


def test_the_visibility_form_needs_its_csrf_token(app, client):
    _moderator_client(client)
    answer = client.post("/mod/access/categories/low-contact", data={"visibility": "everyone"})
    assert answer.status_code == 400
    assert db.session.query(Category).filter_by(slug="low-contact").one().visibility == "members"


def test_an_unknown_category_is_a_404_like_any_other(app, client):
    _moderator_client(client)
    token = csrf_from(client, "/mod/access")
    answer = client.post("/mod/access/categories/nope", data={"visibility": "everyone",
                                                              "csrf_token": token})
    assert answer.status_code == 303  # back to the page with the message, nothing changed
    assert "no category called" in client.get("/mod/access").get_data(as_text=True)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_moderators_reach_the_access_page(app, client, who):
    if who == "member":
        make_user("fernleaf")
        assert login(client, "fernleaf").status_code == 302
    assert client.get("/mod/access").status_code in (302, 403)
    answer = client.post("/mod/access/categories/low-contact", data={"visibility": "everyone"})
    assert answer.status_code in (302, 400, 403)
    assert db.session.query(Category).filter_by(slug="low-contact").one().visibility == "members"


def test_moderators_look_up_and_set_a_members_trust_level_on_the_page(app, client):
    _moderator_client(client)
    make_user("fernleaf")
    page = client.get("/mod/access?member=fernleaf").get_data(as_text=True)
    assert "fernleaf: <strong>new</strong>" in page
    token = csrf_from(client, "/mod/access")
    answer = client.post("/mod/access/members", data={"username": "fernleaf", "level": "trusted",
                                                      "csrf_token": token})
    assert answer.status_code == 303
    page = client.get(answer.location).get_data(as_text=True)
    assert "fernleaf: <strong>trusted</strong>" in page and "set by a moderator" in page
    assert db.session.query(AuditEntry).filter_by(action="trust_level_set").count() == 1


@pytest.mark.parametrize("data", [
    {"username": "fernleaf", "level": "admin"}, {"username": "ghost", "level": "trusted"},
    {"username": "", "level": "trusted"}, {"level": "trusted"}, {"username": "fernleaf"},
])
def test_bad_trust_level_forms_change_nothing(app, client, data):
    _moderator_client(client)
    fern = make_user("fernleaf")
    token = csrf_from(client, "/mod/access")
    answer = client.post("/mod/access/members", data={**data, "csrf_token": token})
    assert answer.status_code == 303
    db.session.refresh(fern)
    assert fern.trust_level_override is None
    assert client.get("/mod/access?member=" + "x" * 500).status_code == 200
