"""Moderators' notices on the pages: each shown once per browser session, a new one on the next
page view, and no query for notices on a page view when there is nothing new (the sign-in check
reads the newest notice id)."""

from __future__ import annotations

from datetime import timedelta

from forum import review
from forum.extensions import db
from forum.models import Notice
from tests.support.factories import make_user
from tests.support.queries import QueryCounter
from tests.support.web import login


def _notice_queries(client, path: str = "/") -> int:
    with QueryCounter(db.engine) as queries:
        assert client.get(path).status_code == 200
    return sum(1 for statement in queries.statements if "FROM notices" in statement
               and "max(notices.id)" not in statement)


def test_each_notice_is_shown_once_and_a_new_one_on_the_next_page(app, client):
    mod, river = make_user("mod_ash", role="moderator"), make_user("river")
    login(client, "river")
    client.get("/")  # the welcome message
    review.warn(mod, river.id, "Please keep advice gentle.")

    first = client.get("/").get_data(as_text=True)
    assert "Please keep advice gentle." in first
    assert "Please keep advice gentle." not in client.get("/").get_data(as_text=True)

    review.warn(mod, river.id, "Thank you for listening.")
    later = client.get("/").get_data(as_text=True)
    assert "Thank you for listening." in later and "Please keep advice gentle." not in later


def test_a_page_view_asks_for_notices_only_when_one_is_new(app, client):
    mod, river = make_user("mod_ash", role="moderator"), make_user("river")
    login(client, "river")
    client.get("/")
    assert _notice_queries(client) == 0  # none at all

    review.warn(mod, river.id, "Please keep advice gentle.")
    assert _notice_queries(client) == 1  # a new one: read and shown
    assert _notice_queries(client) == 0  # seen in this browser session


def test_an_old_notice_is_not_asked_for_on_every_page(app, client):
    mod, river = make_user("mod_ash", role="moderator"), make_user("river")
    review.warn(mod, river.id, "An old note.")
    note = db.session.scalar(db.select(Notice).where(Notice.user_id == river.id))
    note.created_at -= timedelta(days=45)  # past the 30 days notices are shown for
    db.session.commit()
    login(client, "river")
    assert "An old note." not in client.get("/").get_data(as_text=True)
    assert _notice_queries(client) == 0


def test_a_new_browser_session_shows_the_recent_notices_again(app, client):
    mod, river = make_user("mod_ash", role="moderator"), make_user("river")
    review.warn(mod, river.id, "Please keep advice gentle.")
    login(client, "river")
    assert "Please keep advice gentle." in client.get("/").get_data(as_text=True)
    client.delete_cookie("session")
    login(client, "river")
    assert "Please keep advice gentle." in client.get("/").get_data(as_text=True)
