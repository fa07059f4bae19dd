"""The moderation area through the web client: nudge → hold → queue → approve/reject, lanes,
authorisation on every /mod route, sanctions, claims, bulk actions, the audit log page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum import posting, review
from forum.extensions import db
from forum.models import AuditEntry, ModerationCase, Post, PostStatus, User
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, UnavailablePipeline, screened
from tests.support.queries import count_queries
from tests.support.web import login, post_form

SHAMING = "Honestly you went back AGAIN, what did you expect?"


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def people(app):
    return {
        "author": make_user("river"),
        "shamer": make_user("stone"),
        "reader": make_user("meadow"),
        "mod": make_user("mod_willow", role="moderator"),
    }


def _case_for(post_id: int) -> ModerationCase:
    return db.session.scalar(select(ModerationCase).where(ModerationCase.post_id == post_id))


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _held_reply(thread_id: int, author: User, body: str = SHAMING) -> Post:
    return posting.reply(author, thread_id, body, acknowledge_nudge=True).post


# ------------------------------------------------------------------ the author's side


@pytest.mark.both_databases
def test_shaming_reply_nudged_held_invisible_then_approved_and_visible(app, people):
    thread = make_thread(people["author"], body="I broke NC last night and I feel awful.").thread
    shamer = app.test_client()
    login(shamer, "stone")
    form_page = f"/t/{thread.id}"

    nudged = post_form(shamer, f"/t/{thread.id}/reply", {"body": SHAMING}, token_page=form_page)
    assert nudged.status_code == 422
    page = nudged.get_data(as_text=True)
    assert "going back" in page  # the kind, specific explanation
    assert "went back AGAIN, what did you expect?" in page  # the text is kept
    assert db.session.scalar(select(Post).where(Post.body_markdown == SHAMING)) is None

    held = post_form(shamer, f"/t/{thread.id}/reply",
                     {"body": SHAMING, "acknowledge_nudge": "1"}, token_page=form_page)
    assert held.status_code == 302
    post = db.session.scalar(select(Post).where(Post.body_markdown == SHAMING))
    assert post.status == PostStatus.HELD
    assert "what did you expect" in _page(shamer, f"/t/{thread.id}")  # its author sees it

    reader = app.test_client()
    login(reader, "meadow")
    assert "what did you expect" not in _page(reader, f"/t/{thread.id}")
    assert "what did you expect" not in _page(app.test_client(), f"/t/{thread.id}")

    mod = app.test_client()
    login(mod, "mod_willow")
    queue = _page(mod, "/mod/")
    case = _case_for(post.id)
    assert f'id="case-{case.id}"' in queue
    assert "<mark>went back AGAIN</mark>" in queue  # the matching phrase, highlighted
    assert "I broke NC last night and I feel awful." in queue  # the parent, for context
    response = post_form(mod, f"/mod/cases/{case.id}/approve", {"next": "/mod/"}, "/mod/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mod/")

    db.session.expire_all()
    assert post.status == PostStatus.PUBLISHED and post.published_at is not None
    assert post.thread.reply_count == 1
    assert "what did you expect" in _page(reader, f"/t/{thread.id}")
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["screened", "approved"]


@pytest.mark.both_databases
def test_rejected_post_is_never_shown_and_its_author_is_told_kindly(app, people):
    thread = make_thread(people["author"]).thread
    post = _held_reply(thread.id, people["shamer"])
    case = _case_for(post.id)
    mod = app.test_client()
    login(mod, "mod_willow")
    response = post_form(mod, f"/mod/cases/{case.id}/reject",
                         {"reason": "It reads as shaming someone for a slip.",
                          "category": "nc_shaming"}, "/mod/")
    assert response.status_code == 302
    db.session.expire_all()
    assert post.status == PostStatus.REJECTED and case.status == "rejected"
    assert case.resolution_category == "nc_shaming"

    shamer = app.test_client()
    login(shamer, "stone")
    page = _page(shamer, "/")
    assert "A moderator didn&#39;t publish your post" in page
    assert "It reads as shaming someone for a slip." in page
    assert "You&#39;re still welcome here" in page
    # Told once per session, not on every page.
    assert "didn&#39;t publish" not in _page(shamer, "/")
    for client in (shamer, mod, app.test_client()):
        assert "what did you expect" not in _page(client, f"/t/{thread.id}")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rejected"))
    assert entry.actor_id == people["mod"].id
    assert entry.details["reason"] == "It reads as shaming someone for a slip."


def test_crisis_post_publishes_shows_resources_and_lands_in_urgent_lane(app, people):
    client = app.test_client()
    login(client, "river")
    response = post_form(client, "/new", {
        "category": "going-no-contact", "title": "I can't keep going",
        "body": "Since the funeral I want to die most nights.",
    }, token_page="/new")
    assert response.status_code == 302
    page = _page(client, response.headers["Location"])
    assert "988" in page and "116 123" in page  # crisis resources, at once
    post = db.session.scalar(select(Post).where(Post.is_opening.is_(True)))
    assert post.status == PostStatus.PUBLISHED
    assert "I can&#39;t keep going" in _page(client, "/")  # a members-only category
    mod = app.test_client()
    login(mod, "mod_willow")
    queue = _page(mod, "/mod/?lane=urgent")
    assert "crisis: check on this person" in queue and "want to die most nights" in queue


# ------------------------------------------------------------------ authorisation


def _mod_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("moderator."):
            continue
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_members_get_403_and_visitors_go_to_sign_in_on_every_mod_route(app, people):
    thread = make_thread(people["author"]).thread
    _held_reply(thread.id, people["shamer"])
    routes = list(_mod_routes(app))
    assert len(routes) >= 14
    member = app.test_client()
    login(member, "meadow")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', _page(member, "/")).group(1)
    anonymous = app.test_client()
    for method, url in routes:
        response = member.open(url, method=method, data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 403, (method, url, response.status_code)
        response = anonymous.open(url, method=method)
        if method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code in (302, 400, 401), (method, url)
    # Nothing changed.
    assert db.session.scalar(select(ModerationCase.status)) == "open"


def test_mod_forms_need_a_csrf_token(app, people):
    thread = make_thread(people["author"]).thread
    case = _case_for(_held_reply(thread.id, people["shamer"]).id)
    mod = app.test_client()
    login(mod, "mod_willow")
    response = mod.post(f"/mod/cases/{case.id}/approve", data={})
    assert response.status_code == 400
    db.session.expire_all()
    assert case.status == "open"


def test_a_remembered_session_confirms_the_password_first(app, people):
    mod = app.test_client()
    login(mod, "mod_willow")
    with mod.session_transaction() as session:
        session["_fresh"] = False
    response = mod.get("/mod/?lane=held")
    assert response.status_code == 302 and "/mod/confirm" in response.headers["Location"]
    wrong = post_form(mod, "/mod/confirm", {"password": "not it", "next": "/mod/?lane=held"},
                      "/mod/confirm")
    assert wrong.status_code == 401
    right = post_form(mod, "/mod/confirm", {"password": "correct horse battery",
                                            "next": "/mod/?lane=held"}, "/mod/confirm")
    assert right.status_code == 302 and right.headers["Location"].endswith("/mod/?lane=held")
    assert mod.get("/mod/").status_code == 200


# ------------------------------------------------------------------ the queue


def test_queue_lanes_history_scores_and_escaped_highlight(app, people):
    thread = make_thread(people["author"]).thread
    make_reply(people["shamer"], thread.id, "Earlier, a kind reply.")
    sneaky = "<script>alert(1)</script> you went back again <b>lol</b>"
    held = _held_reply(thread.id, people["shamer"], sneaky)
    urgent = make_reply(people["reader"], thread.id, "I want to die, honestly.").post
    reported = make_reply(people["reader"], thread.id, "Families are complicated.").post
    posting.report_post(people["author"], reported.id, "This felt dismissive of my story.")
    mod = app.test_client()
    login(mod, "mod_willow")
    page = _page(mod, "/mod/")
    assert page.index(f'id="case-{_case_for(urgent.id).id}"') < page.index(
        f'id="case-{_case_for(held.id).id}"') < page.index(f'id="case-{_case_for(reported.id).id}"')
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; you <mark>went back again</mark> &lt;b&gt;lol" in page
    assert "Earlier, a kind reply." in page  # the author's recent history
    assert "This felt dismissive of my story." in page and "1 report" in page
    assert "0.91" in page  # scores
    assert "Urgent <span class=\"count\">1</span>" in page
    held_only = _page(mod, "/mod/?lane=held")
    assert "went back again" in held_only and "Families are complicated" not in held_only
    assert 'src="/static/moderator.js"' in page and "<script>" not in page.replace(
        '<script src="/static/moderator.js" defer></script>', "").replace(
        '<script src="/static/js/forum.js" defer></script>', "")


def test_queue_page_query_count_does_not_grow_with_the_queue(app, people):
    thread = make_thread(people["author"]).thread
    mod = app.test_client()
    login(mod, "mod_willow")

    def add_cases(n: int) -> None:
        for i in range(n):
            writer = make_user(f"writer{i}_{n}")
            _held_reply(thread.id, writer, f"Case {i}: you went back again.")
            posting.report_post(people["reader"], make_reply(writer, thread.id, f"ok {i}").post.id,
                                "please check")

    add_cases(2)
    small = count_queries(db.engine, lambda: _page(mod, "/mod/"))
    add_cases(20)
    large = count_queries(db.engine, lambda: _page(mod, "/mod/"))
    assert small == large, (small, large)
    # 11 for the queue itself, 1 for the response-time panel, 1 for staff notes on the authors.
    assert small <= 13


def test_model_unavailable_banner(app, people):
    app.config["MODERATION_PIPELINE"] = UnavailablePipeline()
    posting.create_thread(people["author"], "going-no-contact", "Day one", "I blocked him.",
                          acknowledge_nudge=True)
    mod = app.test_client()
    login(mod, "mod_willow")
    page = _page(mod, "/mod/")
    assert "Automatic screening is unavailable" in page
    assert "screening unavailable: checkpoint not found" in page
    app.config["MODERATION_PIPELINE"] = FakePipeline()
    make_thread(people["author"], title="Day two")
    assert "Automatic screening is unavailable" not in _page(mod, "/mod/")


def test_nudge_revision_rate_is_on_the_queue_page(app, people):
    thread = make_thread(people["author"]).thread
    client = app.test_client()
    login(client, "stone")
    post_form(client, f"/t/{thread.id}/reply", {"body": SHAMING}, token_page=f"/t/{thread.id}")
    post_form(client, f"/t/{thread.id}/reply", {"body": "That sounds hard. I'm here."},
              token_page=f"/t/{thread.id}")
    mod = app.test_client()
    login(mod, "mod_willow")
    assert "100% revised" in _page(mod, "/mod/")


# ------------------------------------------------------------------ actions


def test_edit_and_approve_keeps_the_original_and_tells_the_author(app, people):
    thread = make_thread(people["author"]).thread
    post = _held_reply(thread.id, people["shamer"], "My brother John Smith went back again.")
    case = _case_for(post.id)
    mod = app.test_client()
    login(mod, "mod_willow")
    assert "Edit and approve" in _page(mod, f"/mod/cases/{case.id}")
    post_form(mod, f"/mod/cases/{case.id}/edit", {"body": "My brother went back too.",
                                                   "reason": "removed a full name"}, "/mod/")
    db.session.expire_all()
    assert post.status == PostStatus.PUBLISHED and post.body_markdown == "My brother went back too."
    assert post.revisions[0].body_markdown == "My brother John Smith went back again."
    author = app.test_client()
    login(author, "stone")
    assert "removed a full name" in _page(author, "/")


def test_claims_keep_two_moderators_off_one_case(app, people):
    make_user("mod_oak", role="moderator")
    thread = make_thread(people["author"]).thread
    case = _case_for(_held_reply(thread.id, people["shamer"]).id)
    willow, oak = app.test_client(), app.test_client()
    login(willow, "mod_willow")
    login(oak, "mod_oak")
    post_form(willow, f"/mod/cases/{case.id}/claim", {}, "/mod/")
    assert "claimed by mod_willow" in _page(oak, "/mod/")
    post_form(oak, f"/mod/cases/{case.id}/approve", {}, "/mod/")
    assert "mod_willow is working on this case" in _page(oak, "/mod/")
    db.session.expire_all()
    assert case.status == "open"
    post_form(willow, f"/mod/cases/{case.id}/unclaim", {}, "/mod/")
    post_form(oak, f"/mod/cases/{case.id}/approve", {}, "/mod/")
    db.session.expire_all()
    assert case.status == "approved" and case.resolved_by_id == db.session.scalar(
        select(User.id).where(User.username == "mod_oak"))


def test_bulk_approve_and_reject(app, people):
    thread = make_thread(people["author"]).thread
    posts = [_held_reply(thread.id, make_user(), f"{n}: you went back again") for n in range(4)]
    ids = [_case_for(p.id).id for p in posts]
    mod = app.test_client()
    login(mod, "mod_willow")
    token_data = {"action": "reject", "case_id": [str(i) for i in ids[:2]]}
    response = post_form(mod, "/mod/bulk", token_data, "/mod/")
    assert response.status_code == 302
    assert "Please give a reason" in _page(mod, "/mod/")
    post_form(mod, "/mod/bulk", {**token_data, "reason": "Shaming a slip."}, "/mod/")
    post_form(mod, "/mod/bulk", {"action": "approve", "case_id": [str(i) for i in ids[1:]]},
              "/mod/")
    db.session.expire_all()
    assert [p.status for p in posts] == ["rejected", "rejected", "published", "published"]
    assert thread.reply_count == 2
    bulk = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("bulk_%"))
                              .order_by(AuditEntry.id)).all()
    assert [(b.action, b.details["cases"]) for b in bulk] == [
        ("bulk_reject", ids[:2]), ("bulk_approve", ids[2:])]
    assert bulk[1].details["skipped"] == {str(ids[1]): "already resolved"}


def test_warn_silence_and_suspend(app, people):
    thread = make_thread(people["author"]).thread
    case = _case_for(_held_reply(thread.id, people["shamer"]).id)
    shamer_id = people["shamer"].id
    shamer = app.test_client()
    login(shamer, "stone")
    mod = app.test_client()
    login(mod, "mod_willow")
    base = f"/mod/users/{shamer_id}"
    post_form(mod, f"{base}/warn", {"reason": "Please be gentle with people who slip.",
                                    "case_id": str(case.id)}, "/mod/")
    post_form(mod, f"{base}/silence", {"reason": "Repeated shaming.", "days": "3"}, "/mod/")
    user = db.session.get(User, shamer_id)
    db.session.refresh(user)
    assert user.is_silenced()
    page = _page(shamer, "/")
    assert "Please be gentle with people who slip." in page and "read-only for 3 days" in page
    blocked = post_form(shamer, f"/t/{thread.id}/reply", {"body": "hello"},
                        token_page=f"/t/{thread.id}")
    assert blocked.status_code in (403, 422)
    assert "read-only" in blocked.get_data(as_text=True)

    version = user.session_version
    post_form(mod, f"{base}/suspend", {"reason": "Threats in messages."}, "/mod/")
    db.session.refresh(user)
    assert user.suspended_at is not None and user.session_version == version + 1
    assert shamer.get("/new").status_code == 302  # signed out everywhere
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == shamer_id)
                                 .where(AuditEntry.actor_id == people["mod"].id)).all()
    assert actions == ["warned", "silenced", "suspended"]
    # A moderator can't sanction another moderator (only an admin can).
    other_mod = make_user("mod_oak", role="moderator")
    post_form(mod, f"/mod/users/{other_mod.id}/suspend", {"reason": "no"}, "/mod/")
    db.session.refresh(other_mod)
    assert other_mod.suspended_at is None


def test_audit_log_page_lists_each_step_and_paginates(app, people):
    thread = make_thread(people["author"]).thread
    case = _case_for(_held_reply(thread.id, people["shamer"]).id)
    review.approve(people["mod"], case.id, "Reads fine in context.")
    for n in range(55):
        make_reply(people["reader"], thread.id, f"reply {n}")
    mod = app.test_client()
    login(mod, "mod_willow")
    first = _page(mod, "/mod/audit")
    assert "Page 1 of 2" in first
    last = _page(mod, "/mod/audit?page=2")
    assert "automatic screening" in last and "approved" in last
    assert "Reads fine in context." in last and "mod_willow" in last


def test_supportive_reply_quoting_an_insult_publishes_on_the_web(app, people):
    thread = make_thread(people["author"], body="My mother insulted me again.").thread
    client = app.test_client()
    login(client, "meadow")
    body = "> she called me an idiot\n\nShe was cruel, and wrong about you."
    response = post_form(client, f"/t/{thread.id}/reply", {"body": body},
                         token_page=f"/t/{thread.id}")
    assert response.status_code == 302
    assert "wrong about you" in _page(app.test_client(), f"/t/{thread.id}")
    assert db.session.scalar(select(ModerationCase)) is None


def test_reports_from_the_thread_page_merge_into_one_case(app, people):
    thread = make_thread(people["author"]).thread
    reply = make_reply(people["shamer"], thread.id, "Families are complicated.").post
    for name in ("river", "meadow"):
        client = app.test_client()
        login(client, name)
        response = post_form(client, f"/p/{reply.id}/report", {"reason": "dismissive"},
                             token_page=f"/t/{thread.id}")
        assert response.status_code == 302
    case = db.session.scalar(select(ModerationCase))
    assert (case.lane, case.report_count) == ("reported", 2)
    mod = app.test_client()
    login(mod, "mod_willow")
    assert "2 reports" in _page(mod, "/mod/?lane=reported")


def test_model_unavailable_holds_a_web_post(app, people):
    app.config["MODERATION_PIPELINE"] = UnavailablePipeline()
    client = app.test_client()
    login(client, "river")
    data = {"category": "going-no-contact", "title": "Day one", "body": "I blocked his number."}
    held = post_form(client, "/new", data, token_page="/new")
    assert held.status_code == 302
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.HELD and post.body_markdown == "I blocked his number."
    told = client.get(held.headers["Location"]).get_data(as_text=True)
    assert "your post is saved" in told
    assert "Day one" not in _page(app.test_client(), "/")


def test_audit_log_can_show_only_peoples_actions(app, people):
    thread = make_thread(people["author"]).thread
    case = _case_for(_held_reply(thread.id, people["shamer"]).id)
    review.reject(people["mod"], case.id, "Shaming a slip.")
    mod = app.test_client()
    login(mod, "mod_willow")
    people_only = _page(mod, "/mod/audit?who=moderators")
    assert "Shaming a slip." in people_only and "automatic screening</td>" not in people_only
    screener = _page(mod, "/mod/audit?who=screening")
    assert "automatic screening</td>" in screener and "Shaming a slip." not in screener
