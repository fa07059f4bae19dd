"""Appeals on the pages: the member finds the decision and asks once (CSRF on the form), the
appeals lane and page for moderators (each role tried), the deciding moderator is told to leave
it to someone else, and a suspended member reaches their appeal and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import posting, review
from forum.extensions import db
from forum.models import Appeal, Post
from tests.support.factories import count, make_thread, make_user
from tests.support.fake_pipeline import screened
from tests.support.web import csrf_from, login, post_form

NOTE = "I was quoting my mother's words to show what she says, not saying them to anyone here."
CRISIS = "Some nights I want to die, and then you went back again to her."


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def scene(app):
    ash, birch = make_user("mod_ash", role="moderator"), make_user("mod_birch", role="moderator")
    river = make_user("river")
    thread = make_thread(make_user("opener"), title="Holidays again",
                         content_warning="self-harm").thread
    post = posting.reply(river, thread.id, CRISIS, acknowledge_nudge=True).post
    review.reject(ash, review.open_case_for(post.id).id, "It shames someone for going back.")
    return {"ash": ash, "birch": birch, "river": river, "post": post, "thread": thread}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_member_finds_the_decision_and_asks_for_another_look_once(app, client, scene):
    login(client, "river")
    home = _text(client.get("/"))  # the rejection notice links to the decisions page
    assert "didn&#39;t publish your post" in home and "/account/decisions" in home
    decisions = _text(client.get("/account/decisions"))
    form_url = f"/appeal/post/{scene['post'].id}"
    assert "Holidays again" in decisions and form_url in decisions
    assert "It shames someone for going back." in decisions

    page = _text(client.get(form_url))
    assert "Ask for another look" in page and "different moderator" in page
    assert "Content warning: self-harm" in page  # the post is folded behind its warning
    # Without the CSRF token nothing happens.
    assert client.post(form_url, data={"note": NOTE}).status_code == 400
    empty = post_form(client, form_url, {"note": "   "}, token_page=form_url)
    assert empty.status_code == 422 and count(Appeal) == 0
    too_long = post_form(client, form_url, {"note": "x" * 2001}, token_page=form_url)
    assert too_long.status_code == 422 and count(Appeal) == 0

    sent = post_form(client, form_url, {"note": NOTE}, token_page=form_url)
    assert sent.status_code == 302 and sent.location.endswith("/account/decisions")
    assert "A different moderator" in _text(client.get("/account/decisions"))
    again = _text(client.get(form_url))
    assert "You asked for another look" in again and "quoting my mother" in again
    assert "Send it to a moderator" not in again
    token = csrf_from(client, "/account/decisions")
    twice = client.post(form_url, data={"note": "Again", "csrf_token": token})
    assert twice.status_code == 409 and "only happen once" in _text(twice).replace("&#39;", "'")
    assert count(Appeal) == 1


def test_others_cannot_appeal_a_members_decision(app, client, scene):
    make_user("stranger")
    login(client, "stranger")
    assert client.get(f"/appeal/post/{scene['post'].id}").status_code == 404
    answer = post_form(client, f"/appeal/post/{scene['post'].id}", {"note": NOTE},
                       token_page="/account/decisions")
    assert answer.status_code == 404 and count(Appeal) == 0
    assert client.get("/appeal/post/999999").status_code == 404
    assert client.get("/appeal/sanction/999999").status_code == 404
    assert "There are no moderators' decisions about you" in _text(
        client.get("/account/decisions"))
    anonymous = app.test_client()
    assert anonymous.get("/account/decisions").status_code == 302
    assert anonymous.get(f"/appeal/post/{scene['post'].id}").status_code == 302


def test_moderators_see_the_appeals_lane_and_the_decider_leaves_it_to_another(app, scene):
    appeal = review.appeal_post(scene["river"], scene["post"].id, NOTE)
    ash = app.test_client()
    login(ash, "mod_ash")
    lane = _text(ash.get("/mod/?lane=appeals"))
    assert f"Appeal {appeal.id}" in lane and "quoting my mother" in lane
    assert "It shames someone for going back." in lane and "mod_ash" in lane
    fold = lane.index('<details class="case__fold">')
    assert lane.index("Some nights I want to die") > fold  # folded: content warning
    assert "1 appeal waiting" in _text(ash.get("/mod/"))

    page = _text(ash.get(f"/mod/appeals/{appeal.id}"))
    assert "another moderator will answer this appeal" in page
    assert 'name="outcome"' not in page
    refused = post_form(ash, f"/mod/appeals/{appeal.id}/decide",
                        {"outcome": "overturn", "reason": "Mine."}, token_page="/mod/")
    assert refused.status_code == 302
    assert db.session.get(Appeal, appeal.id).status == "open"

    birch = app.test_client()
    login(birch, "mod_birch")
    assert 'value="overturn"' in _text(birch.get(f"/mod/appeals/{appeal.id}"))
    done = post_form(birch, f"/mod/appeals/{appeal.id}/decide",
                     {"outcome": "overturn", "reason": "You were quoting her."},
                     token_page=f"/mod/appeals/{appeal.id}")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == "overturned"
    assert db.session.get(Post, scene["post"].id).status == "published"

    member = app.test_client()
    login(member, "river")
    home = _text(member.get("/"))
    assert "agreed with you" in home and "You were quoting her." in home


def test_only_moderators_reach_the_appeal_pages(app, scene):
    appeal = review.appeal_post(scene["river"], scene["post"].id, NOTE)
    anonymous = app.test_client()
    assert anonymous.get(f"/mod/appeals/{appeal.id}").status_code == 302
    assert anonymous.get("/mod/?lane=appeals").status_code == 302
    member = app.test_client()
    login(member, "river")
    assert member.get(f"/mod/appeals/{appeal.id}").status_code == 403
    assert member.get("/mod/?lane=appeals").status_code == 403
    answer = post_form(member, f"/mod/appeals/{appeal.id}/decide",
                       {"outcome": "overturn", "reason": "Please."})
    assert answer.status_code == 403
    moderator = app.test_client()
    login(moderator, "mod_birch")
    assert moderator.get("/mod/appeals/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == "open"


def test_a_suspended_member_reaches_their_appeal_and_nothing_else(app, client, scene):
    review.suspend(scene["ash"], scene["river"].id, "Repeated shaming after warnings.")
    response = login(client, "river")
    assert response.status_code == 302 and response.location.endswith("/appeal/suspended")
    page = _text(client.get("/appeal/suspended"))
    assert "Your account is suspended" in page
    assert "Repeated shaming after warnings." in page and "Ask for another look" in page
    # Still not signed in: members' pages, settings, posting, the API are all closed.
    assert "Sign out" not in page
    assert client.get("/account/settings").status_code == 302
    assert client.get("/account/decisions").status_code == 302
    assert client.get(f"/appeal/post/{scene['post'].id}").status_code == 302
    assert client.get(f"/t/{scene['thread'].id}").status_code == 200  # public, as for anyone

    sent = post_form(client, "/appeal/suspended", {"note": NOTE}, token_page="/appeal/suspended")
    assert sent.status_code == 302
    appeal = db.session.scalar(select(Appeal))
    assert appeal.decision == "suspend" and appeal.user_id == scene["river"].id
    assert "You asked for another look" in _text(client.get("/appeal/suspended"))

    review.decide_appeal(scene["birch"], appeal.id, "overturn", "We got this wrong.")
    assert login(app.test_client(), "river").location.endswith("/")
    # Someone who never signed in (or gave a wrong password) can't open the page at all.
    stranger = app.test_client()
    assert stranger.get("/appeal/suspended").status_code == 302
