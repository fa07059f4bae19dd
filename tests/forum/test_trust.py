"""Trust levels (forum/trust.py): computed from time and published posts, set by moderators,
and what they change — a stricter screening bar and a slower posting pace for new accounts."""

from __future__ import annotations

import uuid

import pytest

from forum import access_settings, screening, trust
from forum.errors import Forbidden, InvalidInput
from forum.extensions import db
from forum.models import AuditEntry, Post, PostStatus
from moderation import Decision, Item, Verdict
from tests.support.api import API, bearer
from tests.support.factories import PUBLIC_CATEGORY, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, screened
from tests.support.trust import joined_days_ago, make_trusted
from tests.support.web import login

both = pytest.mark.both_databases
BORDERLINE = "maybe you could have tried a bit harder with her"


class UnsurePipeline(FakePipeline):
    """Publishes the borderline sentence, but with a victim-blaming score between the new
    members' unsure bar and the normal threshold."""

    def _one(self, item: Item) -> Verdict:
        if BORDERLINE in item.text:
            scores = dict.fromkeys(("nc_shaming", "guilt_tripping", "darvo", "invalidation",
                                    "toxic", "crisis"), 0.02)
            scores["victim_blaming"] = 0.44
            return Verdict(id=item.id, decision=Decision.PUBLISH, category=None, escalate=False,
                           scores=scores, reasons=("every model score is below its threshold",),
                           rule_hits=(), model_version="fake-unsure", nudge=None)
        return super()._one(item)


# --- levels -----------------------------------------------------------------------------------


@both
def test_levels_grow_with_time_and_published_posts(app):
    fern = make_user("fern")
    assert trust.level_of(fern) == "new"
    for n in range(2):
        make_thread(fern, title=f"Post number {n}", category=PUBLIC_CATEGORY)
    assert trust.level_of(fern) == "new"  # posts, but only just joined
    joined_days_ago(fern, 3)
    assert trust.level_of(fern) == "member"
    for n in range(3):
        make_thread(fern, title=f"More posts {n}", category=PUBLIC_CATEGORY)
    assert trust.level_of(fern) == "member"  # 5 posts, but not 14 days yet
    joined_days_ago(fern, 14)
    assert trust.level_of(fern) == "trusted"
    assert trust.standing(fern).published_posts == 5


@both
def test_held_and_rejected_posts_do_not_count(app):
    fern = joined_days_ago(make_user("fern"), 30)
    outcomes = [make_thread(fern, title=f"Post number {n}") for n in range(5)]
    assert trust.level_of(fern) == "trusted"
    rejected = db.session.get(Post, outcomes[0].post.id)
    rejected.status = PostStatus.REJECTED.value
    held = db.session.get(Post, outcomes[1].post.id)
    held.status, held.published_at = PostStatus.HELD.value, None
    db.session.commit()
    assert trust.standing(fern).published_posts == 3
    assert trust.level_of(fern) == "member"


@both
def test_a_moderators_choice_wins_until_set_back_to_auto(app):
    rowan = make_user("mod_rowan", role="moderator")
    fern = make_user("fern")
    _, standing = access_settings.set_trust_level(rowan, "fern", "trusted")
    assert standing.level == "trusted" and standing.computed == "new"
    assert trust.level_of(fern) == "trusted"
    old = make_trusted("oldoak")
    access_settings.set_trust_level(rowan, "oldoak", "new")  # a worrying account, held back
    assert trust.level_of(old) == "new"
    access_settings.set_trust_level(rowan, "oldoak", "auto")
    assert trust.level_of(old) == "trusted"
    actions = [(e.details["before"], e.details["after"])
               for e in db.session.query(AuditEntry).filter_by(action="trust_level_set")
               .order_by(AuditEntry.id)]
    assert actions == [("auto", "trusted"), ("auto", "new"), ("new", "auto")]
    assert trust.level_of(rowan) == "trusted"


@both
@pytest.mark.parametrize("level, username", [
    ("root", "fern"), ("", "fern"), (None, "fern"), (3, "fern"), ("trusted", ""),
    ("trusted", None),
])
def test_bad_levels_and_names_are_refused_with_nothing_changed(app, level, username):
    rowan = make_user("mod_rowan", role="moderator")
    make_user("fern")
    with pytest.raises(InvalidInput):
        access_settings.set_trust_level(rowan, username, level)
    assert db.session.query(AuditEntry).filter_by(action="trust_level_set").count() == 0


@both
def test_members_cannot_set_trust_levels(app):
    fern = make_user("fern")
    with pytest.raises(Forbidden):
        access_settings.set_trust_level(fern, "fern", "trusted")
    assert trust.level_of(fern) == "new"


# --- the stricter screening bar -----------------------------------------------------------------


@pytest.fixture
def unsure_screening(app_config):
    screened(app_config, UnsurePipeline())
    return app_config


@both
def test_a_new_members_borderline_post_goes_to_a_moderator(unsure_screening, app, client):
    sapling = make_user("sapling")
    thread = make_thread(make_trusted("oakleaf"), title="I went back for a week").thread
    answer = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(sapling),
                         json={"body": BORDERLINE})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "moderation" and body["category"] == "victim_blaming"
    assert "0.44" not in str(body) and "unsure" not in str(body)  # no scores to the author
    answer = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(sapling),
                         json={"body": BORDERLINE, "acknowledge_nudge": True})
    assert answer.status_code == 201 and answer.get_json()["status"] == "held"
    queue = client.get(f"{API}/moderation/queue?lane=held",
                       headers=bearer(make_user("mod_rowan", role="moderator"))).get_json()
    [case] = [c for c in queue["items"] if c["post_id"] == answer.get_json()["post_id"]]
    assert any(reason.startswith("new member: victim_blaming 0.44") for reason in case["reasons"])


@both
def test_a_trusted_members_same_post_is_published(unsure_screening, app, client):
    oldoak = make_trusted("oldoak")
    thread = make_thread(make_trusted("oakleaf"), title="I went back for a week").thread
    answer = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(oldoak),
                         json={"body": BORDERLINE})
    assert answer.status_code == 201 and answer.get_json()["status"] == "published"


@both
def test_a_member_level_account_also_passes_the_normal_bar(unsure_screening, app, client):
    fern = make_user("fern")
    access_settings.set_trust_level(make_user("mod_rowan", role="moderator"), "fern", "member")
    thread = make_thread(make_trusted("oakleaf"), title="I went back for a week").thread
    answer = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(fern),
                         json={"body": BORDERLINE})
    assert answer.status_code == 201 and answer.get_json()["status"] == "published"


def _verdict(decision: str, **scores: float) -> screening.Screening:
    return screening.Screening(decision=decision, scores=scores, reasons=("r",))


@pytest.mark.parametrize("verdict, held", [
    (_verdict("publish", victim_blaming=0.34, crisis=0.9), False),  # crisis is not harm
    (_verdict("publish", toxic=screening.NEW_MEMBER_UNSURE_BAR), True),
    (_verdict("publish", darvo=0.6, invalidation=0.1), True),
    (_verdict("publish"), False),
])
def test_the_unsure_bar_only_ever_adds_holds(verdict, held):
    result = screening.hold_if_unsure(verdict)
    assert (result.decision == "hold") is held
    if held:
        assert result.nudge and result.category in ("toxic", "darvo")
    for decision in ("hold", "block"):  # never turns a hold or a block into a publish
        stricter = screening.hold_if_unsure(_verdict(decision, toxic=0.99))
        assert stricter.decision == decision


# --- posting pace by level (shared Redis storage) ------------------------------------------------


def _redis_or_skip() -> str:
    url = "redis://127.0.0.1:6379"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.skip(f"Redis unreachable at {url}: {exc}")
    return url


@pytest.fixture
def paced(app_config):
    app_config.update(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=_redis_or_skip(),
        # Storage options, not RATELIMIT_KEY_PREFIX: the limiter keeps the first app's prefix
        # for the whole process, and member ids repeat from one test database to the next.
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"test-{uuid.uuid4().hex}"},
        RATELIMIT_POSTING="4 per minute", RATELIMIT_POSTING_NEW="2 per minute",
    )
    return app_config


@both
def test_new_members_post_at_a_slower_pace_than_others(paced, app, client):
    sapling = make_user("sapling")
    oldoak = make_trusted("oldoak")
    for who, allowed in ((sapling, 2), (oldoak, 4)):
        headers = bearer(who)
        answers = [
            client.post(f"{API}/threads", headers=headers, json={
                "category": PUBLIC_CATEGORY, "title": f"Small win {n}", "body": "Tea in the sun."
            }).status_code
            for n in range(allowed + 1)
        ]
        assert answers == [201] * allowed + [429], who.username


@both
def test_the_pages_keep_the_new_members_pace_too(paced, no_csrf, app, client):
    make_user("sapling")
    assert login(client, "sapling").status_code == 302
    for n in range(2):
        page = client.post("/new", data={"category": PUBLIC_CATEGORY, "title": f"Hello {n}",
                                         "body": "Glad to be here."})
        assert page.status_code == 302
    assert client.post("/new", data={"category": PUBLIC_CATEGORY, "title": "Hello again",
                                     "body": "Glad to be here."}).status_code == 429
