"""A deterministic stand-in for moderation.Pipeline, and helpers for the moderation tests.

The fake keeps the forum tests fast; tests/forum/review/test_moderation_real_model.py runs the
same paths through the real pipeline. `hold_everything` / `block_everything` replace screening
altogether, for tests about what the forum does with a verdict.

Phrases it reacts to (case-insensitive, outside quoted "> " lines):
  "went back again"  → hold, nc_shaming (a rule hit on that phrase)
  "you deserved it"  → hold, victim_blaming
  "idiot"            → hold, toxic
  "i will find you"  → block, toxic
  "want to die"      → escalate (crisis); publish unless something harmful is there too
"""

from __future__ import annotations

import re

from forum import screening
from moderation import Decision, Item, RuleHit, Verdict

RULES = (
    ("nc-1", "went back again", "nc_shaming", "hold", "shames someone for breaking No Contact"),
    ("vb-1", "you deserved it", "victim_blaming", "hold", "blames the person who was hurt"),
    ("tx-1", "idiot", "toxic", "hold", "an insult aimed at a member"),
    ("th-1", "i will find you", "toxic", "block", "a threat"),
)
CRISIS_PHRASE = "want to die"


class FakePipeline:
    version = "fake-1"

    def __init__(self):
        self.calls: list[list[Item]] = []

    def status(self) -> dict:
        return {"community": {"path": "fake", "version": self.version, "loaded": True,
                              "error": None}}

    def screen(self, items):
        self.calls.append(list(items))
        return [self._one(item) for item in items]

    def _one(self, item: Item) -> Verdict:
        own = "\n".join(line for line in item.text.splitlines() if not line.lstrip().startswith(">"))
        lowered = own.lower()
        hits = []
        for rule_id, phrase, category, action, why in RULES:
            match = re.search(re.escape(phrase), lowered)
            if match:
                hits.append(RuleHit(rule_id, category, action, own[match.start():match.end()], why))
        escalate = CRISIS_PHRASE in lowered
        scores = {label: 0.01 for label in ("nc_shaming", "victim_blaming", "guilt_tripping",
                                             "darvo", "invalidation", "toxic", "crisis")}
        for hit in hits:
            scores[hit.category] = 0.91
        if escalate:
            scores["crisis"] = 0.88
        if any(hit.action == "block" for hit in hits):
            decision = Decision.BLOCK
        elif hits:
            decision = Decision.HOLD
        else:
            decision = Decision.PUBLISH
        category = hits[0].category if hits else ("crisis" if escalate else None)
        reasons = tuple(hit.describe() for hit in hits)
        if escalate:
            reasons += ("crisis: the writer may be in danger",)
        return Verdict(id=item.id, decision=decision, category=category, escalate=escalate,
                       scores=scores, reasons=reasons, rule_hits=tuple(hits),
                       model_version=self.version, nudge=None)


class UnavailablePipeline(FakePipeline):
    """What the real pipeline does when the community model cannot load: hold everything."""

    def status(self) -> dict:
        return {"community": {"path": "missing.ckpt", "loaded": False,
                              "error": "checkpoint not found"}}

    def _one(self, item: Item) -> Verdict:
        return Verdict(id=item.id, decision=Decision.HOLD, category=None, escalate=False,
                       scores={}, reasons=("screening unavailable: checkpoint not found",),
                       model_version="unavailable")


class BrokenPipeline(FakePipeline):
    def screen(self, items):
        raise RuntimeError("the model exploded")


def screened(app_config: dict, pipeline=None) -> dict:
    app_config["MODERATION_SCREENING"] = "pipeline"
    app_config["MODERATION_PIPELINE"] = pipeline or FakePipeline()
    return app_config


def hold_everything(monkeypatch, category: str = "nc_shaming", escalate: bool = False) -> None:
    """Screening that holds every text, the way the real pipeline holds a harmful post."""
    verdict = screening.Screening(
        decision="hold", category=category, escalate=escalate,
        reasons=("It tells someone their boundary is wrong.",),
        nudge="This might land hard on someone who is hurting. Would you like to rephrase it?",
    )
    monkeypatch.setattr(screening, "screen_text", lambda text, parent_text: verdict)


def block_everything(monkeypatch) -> None:
    verdict = screening.Screening(decision="block", category="toxic", reasons=("A threat.",))
    monkeypatch.setattr(screening, "screen_text", lambda text, parent_text: verdict)
