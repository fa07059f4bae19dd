"""moderation.Pipeline with fake models: batching, order, fail-closed loading, status."""

from __future__ import annotations

import logging
import threading

import pytest

from moderation import Decision, Item, Pipeline
from moderation import pipeline as pipeline_module
from tests.moderation.conftest import BrokenModel, KeywordModel, screen_one


def test_one_predict_call_for_a_whole_batch_in_order(make_pipeline, community):
    pipeline = make_pipeline()
    items = [
        Item(f"id{i}", f"post number {i}" + (" zzshame" if i % 3 == 0 else "")) for i in range(10)
    ]
    verdicts = pipeline.screen(items)
    assert [v.id for v in verdicts] == [item.id for item in items]
    assert len(community.calls) == 1
    assert len(community.calls[0]) == 10
    assert [v.decision for v in verdicts] == [
        Decision.HOLD if i % 3 == 0 else Decision.PUBLISH for i in range(10)
    ]


def test_empty_items_are_held_and_not_sent_to_the_model(make_pipeline, community):
    pipeline = make_pipeline()
    verdicts = pipeline.screen([Item("a", ""), Item("b", "hello there"), Item("c", "  \n ")])
    assert [v.decision for v in verdicts] == [Decision.HOLD, Decision.PUBLISH, Decision.HOLD]
    assert verdicts[0].reasons == ("empty text: there is nothing to publish",)
    assert community.calls == [["hello there"]]


def test_screen_of_nothing_is_nothing(make_pipeline, community):
    assert make_pipeline().screen([]) == []
    assert community.calls == []


def test_screen_rejects_non_items(make_pipeline):
    with pytest.raises(TypeError, match="Item"):
        make_pipeline().screen([{"id": "x", "text": "hi"}])


def test_models_load_lazily_and_once(community, general):
    loads = []

    def loader():
        loads.append(1)
        return community

    pipeline = Pipeline(community_model=loader, toxicity_model=general)
    assert loads == []
    pipeline.screen([Item("a", "one")])
    pipeline.screen([Item("b", "two")])
    assert loads == [1]


def test_concurrent_first_use_loads_once(community, general):
    loads = []
    gate = threading.Barrier(4)

    def loader():
        loads.append(1)
        return community

    pipeline = Pipeline(community_model=loader, toxicity_model=general)

    def worker():
        gate.wait()
        pipeline.screen([Item("x", "hello")])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [1]


def test_missing_checkpoint_fails_closed(tmp_path, general):
    pipeline = Pipeline(community_model_path=tmp_path / "nope.ckpt", toxicity_model="none")
    verdict = screen_one(pipeline, "What a lovely garden!")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[0].startswith("screening unavailable: community model:")
    assert "nope.ckpt" in verdict.reasons[0]
    assert verdict.scores == {}
    status = pipeline.status()
    assert status["ready"] is False
    assert status["community_model"]["loaded"] is False
    assert "nope.ckpt" in status["community_model"]["error"]


def test_loader_error_fails_closed_and_is_retried_later(monkeypatch, community, general):
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk not mounted")
        return community

    clock = [1000.0]
    monkeypatch.setattr(pipeline_module.time, "monotonic", lambda: clock[0])
    pipeline = Pipeline(community_model=flaky, toxicity_model=general)
    first = screen_one(pipeline, "hello")
    assert first.decision is Decision.HOLD
    assert first.reasons[0] == "screening unavailable: community model: disk not mounted"
    screen_one(pipeline, "hello")
    assert len(attempts) == 1  # not hammering a broken disk on every post
    clock[0] += pipeline_module.RETRY_SECONDS + 1
    assert screen_one(pipeline, "hello").decision is Decision.PUBLISH
    assert len(attempts) == 2


def test_a_checkpoint_that_appears_is_used_at_once(monkeypatch, tmp_path, community, general):
    """While `make run` builds the model, posts are held; the first post after the file is
    written is screened by it, without waiting for the retry delay."""
    from moderation import models

    path = tmp_path / "community.ckpt"
    loads = []

    def load(file):
        loads.append(file)
        if not path.is_file():
            raise models.ModelUnavailable(f"checkpoint not found: {file}")
        return community

    monkeypatch.setattr(models, "load_community_model", load)
    clock = [1000.0]
    monkeypatch.setattr(pipeline_module.time, "monotonic", lambda: clock[0])
    pipeline = Pipeline(community_model_path=path, toxicity_model=general)
    assert screen_one(pipeline, "hello").decision is Decision.HOLD
    assert screen_one(pipeline, "hello").decision is Decision.HOLD
    assert len(loads) == 1  # the file is still missing: no new attempt
    path.write_bytes(b"built")
    assert screen_one(pipeline, "hello").decision is Decision.PUBLISH
    assert len(loads) == 2


def test_model_crashing_while_scoring_fails_closed(general):
    pipeline = Pipeline(community_model=BrokenModel(), toxicity_model=general)
    verdict = screen_one(pipeline, "hello")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[0] == "screening unavailable: community model failed: out of memory"


def test_model_returning_the_wrong_number_of_rows_fails_closed(general):
    class Short(KeywordModel):
        def predict(self, texts):
            return super().predict(texts)[:-1]

    verdict = screen_one(Pipeline(community_model=Short(), toxicity_model=general), "hi")
    assert verdict.decision is Decision.HOLD
    assert "returned 0 results for 1 texts" in verdict.reasons[0]


def test_toxicity_model_unavailable_is_logged_once_and_screening_continues(community, caplog):
    def offline():
        raise RuntimeError("cannot download original-small: offline")

    pipeline = Pipeline(community_model=community, toxicity_model=offline)
    with caplog.at_level(logging.WARNING, logger="moderation"):
        pipeline.screen([Item("a", "you are lovely")])
        pipeline.screen([Item("b", "zzshame on you")])
    messages = [r.getMessage() for r in caplog.records if "toxicity" in r.getMessage()]
    assert messages == ["toxicity model unavailable: cannot download original-small: offline"]
    status = pipeline.status()
    assert status["ready"] is True
    assert status["toxicity_model"]["loaded"] is False
    assert "offline" in status["toxicity_model"]["error"]


def test_toxicity_model_none_disables_it(community):
    pipeline = Pipeline(community_model=community, toxicity_model="none")
    verdict = screen_one(pipeline, "you idiot zzborderline")
    assert verdict.decision is Decision.PUBLISH or verdict.category == "toxic"
    assert "general_toxicity" not in verdict.scores
    assert pipeline.status()["toxicity_model"]["error"].startswith("disabled")


def test_toxicity_model_only_sees_the_writers_words_to_the_reader(make_pipeline, general):
    pipeline = make_pipeline()
    pipeline.screen(
        [
            Item("a", "She called me a 'worthless idiot'. You deserve better."),
            Item("b", "Fuck him."),
        ]
    )
    assert general.calls == [["You deserve better."]]


def test_toxicity_failure_while_scoring_is_not_fatal(community):
    pipeline = Pipeline(community_model=community, toxicity_model=BrokenModel())
    assert screen_one(pipeline, "you are great").decision is Decision.PUBLISH


def test_parent_is_passed_to_a_model_trained_with_parents():
    class ParentAware(KeywordModel):
        uses_parent = True

        def predict(self, texts, parents=None):
            self.parents = parents
            return super().predict(texts)

    model = ParentAware()
    pipeline = Pipeline(community_model=model, toxicity_model="none")
    pipeline.screen([Item("a", "reply one", "the <b>parent</b>"), Item("b", "reply two")])
    assert model.parents == ["the parent", None]


def test_unusable_rules_file_fails_closed(tmp_path, community):
    bad = tmp_path / "rules.toml"
    bad.write_text("[[rule]]\nid = 'x'\n", encoding="utf-8")
    pipeline = Pipeline(community_model=community, toxicity_model="none", rules_path=bad)
    verdict = screen_one(pipeline, "hello")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[0].startswith("screening unavailable: rules:")
    assert pipeline.status()["ready"] is False


def test_status_reports_models_and_rules(make_pipeline):
    pipeline = make_pipeline()
    pipeline.warm()
    status = pipeline.status()
    assert status["ready"] is True
    assert status["community_model"]["loaded"] is True
    assert status["community_model"]["name"] == "fake"
    assert status["toxicity_model"]["loaded"] is True
    assert status["rules"]["count"] >= 30
    assert status["thresholds"]["toxic"] == 0.5  # the tests' fixed thresholds


def test_model_version_names_model_and_rules(make_pipeline):
    verdict = screen_one(make_pipeline(), "hello")
    assert verdict.model_version.startswith("community:fake@0000")
    assert "rules@" in verdict.model_version


def test_defaults_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODERATION_MODEL", str(tmp_path / "env.ckpt"))
    monkeypatch.setenv("MODERATION_TOXICITY_MODEL", "none")
    pipeline = Pipeline()
    assert pipeline.community_model_path == tmp_path / "env.ckpt"
    assert pipeline.toxicity_spec == "none"


def test_policy_crash_holds_instead_of_publishing(make_pipeline, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(pipeline_module, "decide", boom)
    verdict = screen_one(make_pipeline(), "hello")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[0].startswith("screening unavailable: policy error")


def test_a_realistic_mix(make_pipeline):
    pipeline = make_pipeline()
    texts = {
        "supportive": "Proud of you for holding the line. She called you a 'selfish brat'? Ignore her.",
        "shaming": "You went back again? Don't expect sympathy.",
        "threat": "I know where you live.",
        "crisis": "I keep thinking about ending it.",
        "quoted": "> you're the abuser\nThat's what my mum wrote on my birthday card.",
    }
    verdicts = {v.id: v for v in pipeline.screen([Item(k, t) for k, t in texts.items()])}
    assert verdicts["supportive"].decision is Decision.PUBLISH
    assert verdicts["shaming"].decision is Decision.HOLD
    assert verdicts["shaming"].category == "nc_shaming"
    assert verdicts["threat"].decision is Decision.BLOCK
    assert verdicts["crisis"].decision is Decision.PUBLISH and verdicts["crisis"].escalate
    assert verdicts["quoted"].decision is Decision.PUBLISH
