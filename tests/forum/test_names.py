"""Impersonation: reserved words and look-alikes of staff names are refused kindly, at
registration (page and use case) and in `flask users create`; staff posts carry a badge that
comes from the role, never from what a member types."""

from __future__ import annotations

import pytest

from forum import accounts, names
from forum.errors import ForumError, InvalidInput
from forum.extensions import db
from forum.models import User
from tests.support.api import API
from tests.support.factories import PASSWORD, make_reply, make_thread, make_user
from tests.support.web import post_form

LOOK_ALIKES = ["mod_wiIlow", "rnod_willow", "mod-willow", "MOD_WILLOW", "mod_wi11ow",
               "mod_willows", "mod.wilow", "mоd_willow"]  # the last has a Cyrillic "о"


def test_skeleton_folds_case_look_alikes_and_separators():
    base = names.skeleton("mod_willow")
    for name in ["mod_wiIlow", "rnod_willow", "mod-willow", "MOD_WILLOW", "mod_wi11ow",
                 "m0d.willow", "мод_willow".replace("м", "m").replace("д", "d"),
                 "mοd_wіllow"]:  # Greek omicron, Cyrillic і
        assert names.skeleton(name) == base, name
    assert names.skeleton("ＡＤＭＩＮ") == names.skeleton("admin")  # fullwidth (NFKC)
    assert names.skeleton("vvillow") == names.skeleton("willow")


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_of_a_staff_name(name):
    assert names.looks_like_staff(name, ["mod_willow"])


@pytest.mark.parametrize("name", ["willow_tree", "mod_willowbark", "river_stone", "mo"])
def test_names_that_are_not_look_alikes(name):
    assert not names.looks_like_staff(name, ["mod_willow", "kai"])


def test_within_one_edit():
    assert names.within_one_edit("abcd", "abcd")
    assert names.within_one_edit("abcd", "abxd")
    assert names.within_one_edit("abcd", "abd")
    assert names.within_one_edit("abcd", "abcde")
    assert not names.within_one_edit("abcd", "abdc")
    assert not names.within_one_edit("abcd", "ab")


@pytest.mark.parametrize("name", [
    "admin", "Admin", "adm1n", "official_mod", "forum.support", "OfficialMod", "officialmod",
    "staff-42", "system", "the_moderators", "AdminJoe", "support_team", "mod2",
])
def test_reserved_words_whole_and_as_parts(name):
    assert names.looks_reserved(name)


@pytest.mark.parametrize("name", [
    "river_stone", "ModernMom", "supportive_sam", "helpme_please", "staffordshire_lass",
    "forumlurker2", "modest_mouse", "kindred", "wildroot",
])
def test_ordinary_names_stay_open(name):
    assert not names.looks_reserved(name)


@pytest.mark.both_databases
@pytest.mark.parametrize("name", [*LOOK_ALIKES[:5], "wiIlow_tree", "willow-tree", "WILLOW_TREE"])
def test_registration_refuses_look_alikes_of_staff_with_one_kind_sentence(app, name):
    make_user("mod_willow", role="moderator")
    make_user("willow_tree", role="moderator")
    before = db.session.query(User).count()
    with pytest.raises(ForumError) as refused:
        accounts.create_user(name, "new@example.test", PASSWORD)
    if name.lower() in ("mod_willow", "willow_tree"):  # the same name in capitals: taken
        assert "taken" in refused.value.message
    else:
        assert refused.value.message == names.TOO_CLOSE
    assert db.session.query(User).count() == before


@pytest.mark.both_databases
def test_the_same_sentence_for_reserved_words_and_staff_look_alikes(app):
    make_user("willow_tree", role="moderator")
    messages = set()
    for name in ("official_mod", "wiIlow_tree"):
        with pytest.raises(InvalidInput) as refused:
            accounts.create_user(name, f"{name.lower()}@example.test", PASSWORD)
        messages.add(refused.value.message)
    assert messages == {names.TOO_CLOSE}
    # A member's name near another *member's* name is not the team's business.
    make_user("willow_leaf")
    accounts.create_user("wiIIow_leaf2", "leaf@example.test", PASSWORD)


def test_staff_may_use_reserved_words_but_not_another_staff_look_alike(app):
    make_user("mod_willow", role="moderator")
    accounts.create_user("mod_river", "river@example.test", PASSWORD, role="moderator")
    with pytest.raises(InvalidInput):
        accounts.create_user("mod_wiIlow", "fake@example.test", PASSWORD, role="moderator")


def test_register_page_refuses_kindly(app, client):
    make_user("mod_willow", role="moderator")
    response = post_form(client, "/register", {
        "username": "rnod_willow", "email": "x@example.test", "password": PASSWORD,
        "confirm": PASSWORD}, token_page="/register")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "too close to a name reserved for the forum team" in page
    assert "mod_willow" not in page


def test_users_create_refuses_look_alikes(app, runner):
    make_user("mod_willow", role="moderator")
    result = runner.invoke(args=["users", "create", "mod_wi11ow", "x@example.test",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert "too close to a name reserved for the forum team" in result.output


@pytest.mark.both_databases
def test_staff_badge_on_pages_and_in_the_api(app, client):
    moderator, member = make_user("mod_willow", role="moderator"), make_user("river_stone")
    thread = make_thread(moderator, title="Welcome, everyone").thread
    # A member can't fake the badge: post bodies lose classes, and the name check holds.
    make_reply(member, thread.id, '<span class="badge badge--staff">Forum team</span> hi')
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert page.count('class="badge badge--staff"') == 2  # the thread's byline and the post
    posts = client.get(f"{API}/threads/{thread.id}").get_json()
    assert posts["author_staff"] is True
    assert [(p["author"], p["staff"]) for p in posts["posts"]] == [
        ("mod_willow", True), ("river_stone", False)]
