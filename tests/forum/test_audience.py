"""Who may read a category (forum/audience.py), enforced everywhere a thread can be read:
board, category and thread pages, post history, the API, the digest — for an anonymous
visitor, a new member, a trusted member and a moderator. A thread one may not read answers
exactly like a missing one (404)."""

from __future__ import annotations

import pytest

from forum import access_settings, digest
from forum.extensions import db
from forum.models import Category, utcnow
from forum.reading import get_category
from tests.support.api import API, bearer
from tests.support.factories import PUBLIC_CATEGORY, make_reply, make_thread, make_user
from tests.support.trust import make_trusted
from tests.support.web import login

pytestmark = pytest.mark.both_databases

MEMBERS_ONLY = "going-no-contact"
TRUSTED_ONLY = "flying-monkeys"


@pytest.fixture
def world(app):
    """A public, a members-only and a trusted-only thread, each with a reply."""
    category = get_category(TRUSTED_ONLY)
    category.visibility = "trusted"
    db.session.commit()
    author = make_trusted("oakleaf")
    replier = make_trusted("birchbark")
    threads = {}
    for key, slug, title in (("public", PUBLIC_CATEGORY, "PUBLICTITLE rest and small wins"),
                             ("members", MEMBERS_ONLY, "MEMBERSTITLE my mother found my flat"),
                             ("trusted", TRUSTED_ONLY, "TRUSTEDTITLE the smear campaign")):
        outcome = make_thread(author, title=title, body=f"{key} story body", category=slug)
        reply = make_reply(replier, outcome.thread.id, f"{key} reply body")
        threads[key] = (outcome.thread.id, outcome.post.id, reply.post.id)
    return threads


def _viewer(kind: str):
    if kind == "anonymous":
        return None
    if kind == "new":
        return make_user("sapling")
    if kind == "trusted":
        return make_trusted("oldoak")
    return make_user("mod_rowan", role="moderator")


READABLE = {
    "anonymous": {"public"},
    "new": {"public", "members"},
    "trusted": {"public", "members", "trusted"},
    "moderator": {"public", "members", "trusted"},
}


def test_the_default_install_keeps_members_stories_members_only(app):
    visibility = {c.slug: c.visibility for c in db.session.query(Category)}
    assert visibility.pop(PUBLIC_CATEGORY) == "everyone"
    assert visibility and set(visibility.values()) == {"members"}


@pytest.mark.parametrize("kind", list(READABLE))
def test_pages_show_only_what_the_reader_may_read(app, client, world, kind):
    viewer = _viewer(kind)
    if viewer is not None:
        assert login(client, viewer.username).status_code == 302
    index = client.get("/").get_data(as_text=True)
    for key, (thread_id, _, _) in world.items():
        title = {"public": "PUBLICTITLE", "members": "MEMBERSTITLE", "trusted": "TRUSTEDTITLE"}[key]
        readable = key in READABLE[kind]
        assert (title in index) is readable, (kind, key)
        page = client.get(f"/t/{thread_id}")
        assert page.status_code == (200 if readable else 404), (kind, key)
        if not readable:
            missing = client.get("/t/999999")
            assert page.get_data() == missing.get_data()  # exactly like a thread that never was
            assert title not in page.get_data(as_text=True)
    for key, slug in (("members", MEMBERS_ONLY), ("trusted", TRUSTED_ONLY)):
        listing = client.get(f"/c/{slug}").get_data(as_text=True)
        title = "MEMBERSTITLE" if key == "members" else "TRUSTEDTITLE"
        assert (title in listing) is (key in READABLE[kind])


@pytest.mark.parametrize("kind", list(READABLE))
def test_the_api_shows_only_what_the_caller_may_read(app, client, world, kind):
    viewer = _viewer(kind)
    headers = bearer(viewer) if viewer is not None else {}
    listing = client.get(f"{API}/threads", headers=headers).get_json()
    listed = {item["title"].split()[0] for item in listing["items"]} - {"Small"}
    expected = {{"public": "PUBLICTITLE", "members": "MEMBERSTITLE",
                 "trusted": "TRUSTEDTITLE"}[key] for key in READABLE[kind]}
    assert listed == expected
    for key, (thread_id, _, _) in world.items():
        answer = client.get(f"{API}/threads/{thread_id}", headers=headers)
        if key in READABLE[kind]:
            assert answer.status_code == 200
        else:
            assert answer.status_code == 404
            assert answer.get_json() == client.get(f"{API}/threads/999999", headers=headers).get_json()
    categories = {c["slug"]: c for c in client.get(f"{API}/categories", headers=headers).get_json()}
    assert categories[TRUSTED_ONLY]["visibility"] == "trusted"
    assert categories[TRUSTED_ONLY]["readable"] is (kind in ("trusted", "moderator"))
    closed = client.get(f"{API}/threads", query_string={"category": TRUSTED_ONLY}, headers=headers)
    assert closed.status_code == (200 if kind in ("trusted", "moderator") else 403)


def test_a_post_in_a_closed_category_is_not_found_for_reports_support_or_history(app, client, world):
    sapling = make_user("sapling")
    _, _, reply_id = world["trusted"]
    headers = bearer(sapling)
    report = client.post(f"{API}/posts/{reply_id}/reports", json={"reason": "?"}, headers=headers)
    assert report.status_code == 404
    reply = client.post(f"{API}/threads/{world['trusted'][0]}/posts", json={"body": "hi"},
                        headers=headers)
    assert reply.status_code == 404
    assert login(client, "sapling").status_code == 302
    assert client.get(f"/p/{reply_id}/history").status_code == 404


def test_a_member_may_not_start_a_thread_where_they_may_not_read(app, client, world):
    sapling = make_user("sapling")
    answer = client.post(f"{API}/threads", headers=bearer(sapling), json={
        "category": TRUSTED_ONLY, "title": "Hello there", "body": "Just me."})
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "category"
    assert login(client, "sapling").status_code == 302
    form = client.get("/new").get_data(as_text=True)
    assert f'value="{TRUSTED_ONLY}"' not in form and f'value="{MEMBERS_ONLY}"' in form


def test_the_digest_lists_only_what_each_member_may_read(app, world):
    sapling = make_user("sapling")
    oldoak = make_trusted("oldoak")
    period = digest.period_in_progress("weekly", utcnow())
    activity = digest.PeriodActivity.load(period)
    recipients = [digest.Recipient(u.id, u.username, u.email) for u in (sapling, oldoak)]
    composed = digest.compose_batch(recipients, activity, "http://forum.test")
    titles = {uid: {item.title.split()[0] for item in d.items} - {"Small"}
              for uid, d in composed.items()}
    assert titles[sapling.id] == {"PUBLICTITLE", "MEMBERSTITLE"}
    assert titles[oldoak.id] == {"PUBLICTITLE", "MEMBERSTITLE", "TRUSTEDTITLE"}
    assert composed[sapling.id].more == 0  # nothing counted from a closed category either
    # The preview page a member opens says the same.
    assert "TRUSTEDTITLE" not in str(digest.compose_digest(sapling, period))


def test_moderators_change_visibility_and_readers_follow(app, client, world):
    rowan = make_user("mod_rowan", role="moderator")
    access_settings.set_category_visibility(rowan, MEMBERS_ONLY, "everyone")
    assert client.get(f"/t/{world['members'][0]}").status_code == 200
    access_settings.set_category_visibility(rowan, MEMBERS_ONLY, "members")
    assert client.get(f"/t/{world['members'][0]}").status_code == 404
