"""`flask moderation export-labels|rescore|status|train` and the append-only audit log."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from forum import posting, review
from forum.extensions import db
from forum.models import AuditEntry, AuditLogIsAppendOnly, ModerationCase, PostStatus
from moderation import Decision
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, UnavailablePipeline, screened

SHAMING = "Honestly you went back AGAIN, what did you expect?"


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


def _case(post_id):
    return db.session.scalar(select(ModerationCase).where(ModerationCase.post_id == post_id))


def test_export_labels_writes_moderator_decisions_in_the_training_format(app, runner, tmp_path):
    mod = make_user("mod_willow", role="moderator")
    thread = make_thread(make_user(), body="I broke NC at the funeral.").thread
    rejected = posting.reply(make_user(), thread.id, SHAMING, acknowledge_nudge=True).post
    approved = posting.reply(make_user(), thread.id, "idiot proof plan: block, mute, breathe",
                             acknowledge_nudge=True).post
    crisis = make_reply(make_user(), thread.id, "Some days I want to die.").post
    unreviewed = posting.reply(make_user(), thread.id, "you deserved it", acknowledge_nudge=True)
    review.reject(mod, _case(rejected.id).id, "Shaming a slip.")
    review.approve(mod, _case(approved.id).id)
    review.approve(mod, _case(crisis.id).id, "Sent a check-in message.")

    out = tmp_path / "labels.jsonl"
    result = runner.invoke(args=["moderation", "export-labels", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported 3 moderator label(s)" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [set(row) for row in rows] == [{"id", "parent", "text", "label", "note"}] * 3
    by_text = {row["text"]: row for row in rows}
    assert by_text[SHAMING]["label"] == "nc_shaming"
    assert by_text[SHAMING]["parent"] == "I broke NC at the funeral."
    assert by_text[SHAMING]["id"] == f"mod-{_case(rejected.id).id}"
    assert "Shaming a slip." in by_text[SHAMING]["note"]
    assert by_text["idiot proof plan: block, mute, breathe"]["label"] == "neutral"
    assert by_text["Some days I want to die."]["label"] == "crisis"
    assert unreviewed.post.body_markdown not in by_text
    # The moderation package can read it as training data.
    from moderation import training

    assert len(training.load_examples([out])) == 3


def test_rescore_command_publishes_what_now_passes(app, runner):
    app.config["MODERATION_PIPELINE"] = UnavailablePipeline()
    outcome = posting.create_thread(make_user(), "going-no-contact", "Day one", "Blocked him.",
                                    acknowledge_nudge=True)
    app.config["MODERATION_PIPELINE"] = FakePipeline()
    result = runner.invoke(args=["moderation", "rescore"])
    assert result.exit_code == 0, result.output
    assert "Re-screened 1 held post(s): 1 published, 0 still held" in result.output
    db.session.expire_all()
    assert outcome.post.status == PostStatus.PUBLISHED


def test_rescore_can_take_only_the_posts_held_while_screening_was_down(app, runner):
    class PublishEverything(FakePipeline):
        def screen(self, items):
            return [replace(v, decision=Decision.PUBLISH, category=None, reasons=(),
                            rule_hits=()) for v in super().screen(items)]

    app.config["MODERATION_PIPELINE"] = UnavailablePipeline()
    waiting = posting.create_thread(make_user(), "going-no-contact", "Day one", "Blocked him.",
                                    acknowledge_nudge=True).post
    app.config["MODERATION_PIPELINE"] = FakePipeline()
    harmful = posting.create_thread(make_user(), "going-no-contact", "Honestly", "What an idiot.",
                                    acknowledge_nudge=True).post
    pipeline = PublishEverything()
    app.config["MODERATION_PIPELINE"] = pipeline
    result = runner.invoke(args=["moderation", "rescore", "--unavailable-only"])
    assert result.exit_code == 0, result.output
    assert "Re-screened 1 held post(s): 1 published, 0 still held" in result.output
    assert [item.text for call in pipeline.calls for item in call] == ["Day one\n\nBlocked him."]
    db.session.expire_all()
    assert waiting.status == PostStatus.PUBLISHED
    assert harmful.status == PostStatus.HELD  # held by screening: left for a moderator


def test_status_reports_pipeline_and_queue(app, runner):
    app.config["MODERATION_PIPELINE"] = UnavailablePipeline()
    posting.create_thread(make_user(), "going-no-contact", "Day one", "Blocked him.",
                          acknowledge_nudge=True)
    result = runner.invoke(args=["moderation", "status"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["available"] is False
    assert report["problem"].startswith("screening unavailable")
    assert report["queue"]["held"] == 1 and report["held_because_unavailable"] == 1
    assert report["pipeline"]["community"]["error"] == "checkpoint not found"


def test_train_delegates_to_moderation_training_with_moderator_labels(app, runner, tmp_path,
                                                                      monkeypatch):
    import moderation

    mod = make_user("mod_willow", role="moderator")
    thread = make_thread(make_user()).thread
    held = posting.reply(make_user(), thread.id, SHAMING, acknowledge_nudge=True).post
    review.reject(mod, _case(held.id).id, "Shaming.")
    calls = []

    def fake_ensure(out_path, data_paths, **options):
        calls.append((Path(out_path), [Path(p) for p in data_paths], options))
        return Path(out_path)

    monkeypatch.setattr(moderation, "ensure_community_model", fake_ensure)
    out = tmp_path / "model.ckpt"
    result = runner.invoke(args=["moderation", "train", "--if-stale", "--out", str(out),
                                 "--epochs", "2"])
    assert result.exit_code == 0, result.output
    (out_path, paths, options) = calls[0]
    assert out_path == out and options["epochs"] == 2
    assert paths[0] == Path(moderation.DEFAULT_TRAINING_DATA)
    labels = paths[1]
    assert labels.name == "moderator-labels.jsonl"
    assert json.loads(labels.read_text().splitlines()[0])["label"] == "nc_shaming"


# ------------------------------------------------------------------ the audit log is append-only


def _an_entry() -> AuditEntry:
    make_thread(make_user())
    return db.session.scalar(select(AuditEntry))


@pytest.mark.both_databases
def test_audit_entries_cannot_be_changed_through_the_orm(app):
    entry = _an_entry()
    entry.action = "nothing happened"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEntry)))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(AuditEntry).values(action="x"))
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(sa.delete(AuditEntry))
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.action)) == "screened"


@pytest.mark.both_databases
def test_audit_entries_cannot_be_changed_with_raw_sql_either(app):
    _an_entry()
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        with db.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError) as caught:
            connection.exec_driver_sql(statement)
        assert "append-only" in str(caught.value)
    assert db.session.scalar(select(AuditEntry.action)) == "screened"


def test_migrated_database_has_the_audit_triggers(tmp_path):
    from tests.support.cli import flask_command

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    result = flask_command(url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO audit_entries (action, details, created_at) "
                "VALUES ('screened', '{}', '2026-01-01 00:00:00')")
        with engine.connect() as connection, pytest.raises(sa.exc.DatabaseError):
            connection.exec_driver_sql("DELETE FROM audit_entries")
    finally:
        engine.dispose()
