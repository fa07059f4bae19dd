"""Replies written at the same moment in one worker are screened together (forum/screening.py
puts the process's pipeline behind moderation's ScreeningBatcher): the same verdicts as one by
one, and a stuck or failing screening holds every post it concerns, never loses one."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

import moderation
from forum import posting, screening
from forum.extensions import db
from forum.models import ModerationCase, Post, PostScreening, PostStatus, User
from tests.support.factories import make_thread, make_user

CRISIS_TEXT = "I've been saving my pills and tonight feels like the night."
SHAMING_TEXT = "You went back AGAIN? Honestly, no sympathy at this point."
KIND_TEXT = "Sending you a hug. Day one again is still progress."


class WordScorer:
    """A community model stand-in whose scores depend on each text alone."""

    def __init__(self, pause: float = 0.0, release: threading.Event | None = None):
        self.pause, self.release = pause, release
        self.batch_sizes: list[int] = []

    def predict(self, texts, parents=None):
        self.batch_sizes.append(len(texts))
        if self.release is not None:
            self.release.wait(10)
        time.sleep(self.pause)
        rows = []
        for text in texts:
            row = {label: 0.01 for label in moderation.COMMUNITY_LABELS}
            if "pills" in text:
                row["crisis"] = 0.97
            if "AGAIN" in text:
                row["nc_shaming"] = 0.95
            rows.append(row)
        return rows


class BrokenPipeline:
    def screen(self, items):
        raise RuntimeError("the scoring process ran out of memory")


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.update(MODERATION_SCREENING="pipeline", MODERATION_TOXICITY_MODEL="none",
                      MODERATION_MODEL=str(tmp_path / "batching.ckpt"),
                      SCREENING_BATCH_WINDOW_MS=50)
    return app_config


def _serve_with(app, pipeline, monkeypatch):
    """Make ``pipeline`` this process's pipeline for the app's configuration."""
    key = (app.config["MODERATION_MODEL"], "none")
    monkeypatch.setitem(screening._pipelines, key, pipeline)
    monkeypatch.setattr(screening, "_batchers", {})


def _reply_together(app, author_ids: list[int], thread_id: int, texts: list[str]):
    """Each text posted as a reply from its own thread (as a threaded worker would), at once."""
    outcomes: list = [None] * len(texts)
    start = threading.Barrier(len(texts))

    def post(index: int) -> None:
        with app.app_context():
            author = db.session.get(User, author_ids[index])
            start.wait()
            try:
                outcome = posting.reply(author, thread_id, texts[index], acknowledge_nudge=True)
                outcomes[index] = (outcome.post.id, outcome.status, outcome.escalate,
                                   outcome.screening.reasons)
            except Exception as exc:  # the test looks at it
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.both_databases
def test_concurrent_replies_are_scored_together_with_the_verdicts_one_by_one_gives(
        app, monkeypatch):
    scorer = WordScorer(pause=0.05)
    pipeline = moderation.Pipeline(community_model=scorer, toxicity_model=lambda: None)
    _serve_with(app, pipeline, monkeypatch)
    opening = make_thread(make_user())
    thread = opening.thread
    authors = [make_user().id for _ in range(6)]
    db.session.commit()
    texts = [CRISIS_TEXT, SHAMING_TEXT, KIND_TEXT, KIND_TEXT + " #nc", SHAMING_TEXT + " lol",
             CRISIS_TEXT + " 💜"]
    parent = opening.post.body_markdown
    alone = [pipeline.screen([moderation.Item(id="p", text=t, parent=parent)])[0] for t in texts]
    scorer.batch_sizes.clear()

    outcomes = _reply_together(app, authors, thread.id, texts)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert max(scorer.batch_sizes) > 1  # scored together
    for (post_id, status, escalate, _reasons), verdict in zip(outcomes, alone, strict=True):
        stored = db.session.scalar(select(PostScreening).where(PostScreening.post_id == post_id))
        assert stored.decision == verdict.decision.value
        assert escalate == verdict.escalate
        assert status == (PostStatus.PUBLISHED if verdict.decision.value == "publish"
                          else PostStatus.HELD)
    assert [o[2] for o in outcomes] == [True, False, False, False, False, True]


def test_a_screening_that_does_not_answer_in_time_holds_the_post(app, app_config, monkeypatch):
    app.config["SCREENING_TIMEOUT_SECONDS"] = 0.3
    release = threading.Event()
    release.set()  # the opening post is screened at once; the reply waits
    _serve_with(app, moderation.Pipeline(community_model=WordScorer(release=release),
                                         toxicity_model=lambda: None), monkeypatch)
    author = make_user()
    thread = make_thread(author, body="Checking in.").thread
    db.session.commit()
    release.clear()
    started = time.monotonic()
    try:
        outcome = posting.reply(author, thread.id, KIND_TEXT)
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert outcome.status == PostStatus.HELD
    assert outcome.screening.reasons[0].startswith("screening unavailable: ScreeningTimeout")
    assert "your post is saved" in outcome.screening.nudge
    case = db.session.scalar(select(ModerationCase).where(ModerationCase.post_id == outcome.post.id))
    assert case is not None and case.is_open and case.unavailable


@pytest.mark.both_databases
def test_a_batch_that_fails_holds_every_post_of_it(app, monkeypatch):
    _serve_with(app, moderation.Pipeline(community_model=WordScorer(),
                                         toxicity_model=lambda: None), monkeypatch)
    thread = make_thread(make_user()).thread
    _serve_with(app, BrokenPipeline(), monkeypatch)
    authors = [make_user().id for _ in range(4)]
    db.session.commit()
    outcomes = _reply_together(app, authors, thread.id, [KIND_TEXT] * 4)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert {o[1] for o in outcomes} == {PostStatus.HELD}
    assert all("out of memory" in o[3][0] for o in outcomes)
    held = [o[0] for o in outcomes]
    assert db.session.scalar(select(func.count()).select_from(ModerationCase)
                             .where(ModerationCase.post_id.in_(held))) == 4
    assert db.session.scalar(select(func.count()).select_from(Post)
                             .where(Post.id.in_(held), Post.status == PostStatus.HELD.value)) == 4
