"""Moderator-editable rules, read from a TOML file (``rules.toml`` next to this module).

Each ``[[rule]]`` has:

* ``id`` (unique), ``category`` (a community label, or ``supportive`` for publish guards),
  ``action`` (``hold`` | ``block`` | ``escalate`` | ``publish_guard``) and ``why`` (one sentence
  a moderator and the writer can understand);
* ``phrases`` (plain words; case, apostrophes and spacing are forgiven, and whole words
  are required) and/or ``patterns`` (Python regular expressions, case-insensitive);
* ``unless`` (optional regexes: a match is dropped when its sentence matches one of them,
  e.g. "years ago" for a crisis phrase about the past);
* ``negatable`` (default true for hold/block/publish_guard rules, false for escalate): a
  negation just before the match in the same clause ("it's *not* normal parenting",
  "you're *not* being dramatic") cancels it;
* ``scope``: ``own`` (default) or ``all`` (also quoted/reported text: threats made against
  the writer are still a danger to them);
* ``examples`` that must match and ``near_misses`` that must not (the tests check both).

A top-level ``[vocab]`` table names regex fragments that patterns use as ``{name}``.

Rules normally see only the writer's own words (``ParsedText.own_text``): quoted blocks and
reported speech are left out before matching.
"""

from __future__ import annotations

import hashlib
import re
import re._constants as _c  # for literal gates (see below)
import re._parser as _sre_parser
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from moderation.text import ParsedText
from moderation.types import COMMUNITY_LABELS, Action, RuleHit

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.toml")
GUARD_CATEGORY = "supportive"
_VALID_CATEGORIES = frozenset((*COMMUNITY_LABELS, GUARD_CATEGORY))
_KNOWN_KEYS = frozenset(
    {
        "id",
        "category",
        "action",
        "why",
        "phrases",
        "patterns",
        "unless",
        "negatable",
        "scope",
        "examples",
        "near_misses",
    }
)


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file, the rule and the problem."""


# --- phrase → regex --------------------------------------------------------------------

# Common spellings of the same word, so "ur", "u", "youre" and "you are" all match "you're".
_WORD_VARIANTS = {
    "you": r"(?:you|u|ya)",
    "your": r"(?:your|ur|yer)",
    "you're": r"(?:you'?re|you\s+are|ur|u\s+r|u\s+are)",
    "you'll": r"(?:you'?ll|you\s+will|u'?ll|u\s+will)",
    "you've": r"(?:you'?ve|you\s+have|u'?ve)",
    "i'm": r"(?:i'?m|i\s+am)",
    "i'll": r"(?:i'?ll|i\s+will)",
    "don't": r"(?:don'?t|do\s+not)",
    "didn't": r"(?:didn'?t|did\s+not)",
    "can't": r"(?:can'?t|cannot|can\s+not)",
    "won't": r"(?:won'?t|will\s+not)",
    "it's": r"(?:it'?s|it\s+is)",
    "that's": r"(?:that'?s|that\s+is|thats)",
    "she's": r"(?:she'?s|she\s+is)",
    "he's": r"(?:he'?s|he\s+is)",
    "they're": r"(?:they'?re|they\s+are)",
    "honour": r"(?:honou?r)",
}


def phrase_to_regex(phrase: str) -> str:
    """A whole-word, case/apostrophe/space-tolerant regex for a plain phrase."""
    words = phrase.strip().lower().split()
    if not words:
        raise ValueError("empty phrase")
    parts = []
    for word in words:
        if word in _WORD_VARIANTS:
            parts.append(_WORD_VARIANTS[word])
        else:
            parts.append(re.escape(word).replace("'", "'?"))
    body = r"\s+".join(parts)
    head = r"\b" if re.match(r"\w", words[0]) else ""
    tail = r"\b" if re.search(r"\w$", words[-1]) else ""
    return f"{head}{body}{tail}"


# --- literal gates ---------------------------------------------------------------------
#
# Python's regex engine tries every alternative at every position, so ~35 rules with big
# alternations would cost milliseconds per post. Each pattern gets a "gate": a set of
# lower-case literal strings of which every match must contain at least one. A pattern only
# runs when one of its gate strings occurs in the text (a cheap substring test). Patterns
# whose gate cannot be worked out simply always run.

MIN_GATE_CHARS = 3


def _required_literals(items: Any) -> frozenset[str] | None:
    """Strings one of which every match of this parsed sequence contains, or None."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            candidates.append(frozenset({"".join(run).lower()}))
            run.clear()

    for op, arg in items:
        if op is _c.LITERAL:
            run.append(chr(arg))
            continue
        if op is _c.AT or op in (_c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width: does not break a run of literals
        close_run()
        if op is _c.SUBPATTERN:
            found = _required_literals(arg[-1])
        elif op is _c.BRANCH:
            found = _branch_literals(arg[1])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
            found = _required_literals(arg[2])
        else:
            found = None
        if found:
            candidates.append(found)
    close_run()
    usable = [c for c in candidates if min(len(s) for s in c) >= MIN_GATE_CHARS]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(len(s) for s in c), -len(c)))


def _branch_literals(branches: Any) -> frozenset[str] | None:
    union: set[str] = set()
    for branch in branches:
        found = _required_literals(branch)
        if not found:
            return None
        union |= found
    return frozenset(union)


def literal_gate(pattern: str) -> frozenset[str] | None:
    try:
        parsed = _sre_parser.parse(pattern, re.IGNORECASE)
    except Exception:  # an internal-parser surprise only costs speed, never correctness
        return None
    return _required_literals(list(parsed))


# --- negation ----------------------------------------------------------------------------

_NEGATION = re.compile(
    r"\b(?:not|never|no|nobody|none|nothing|neither|nor|without|hardly|stop|quit|"
    r"isn'?t|wasn'?t|aren'?t|weren'?t|ain'?t|don'?t|doesn'?t|didn'?t|shouldn'?t|wouldn'?t|"
    r"won'?t|can'?t|cannot|couldn'?t|mustn'?t|haven'?t|hasn'?t|hadn'?t|no\s+one|"
    r"nowhere|far\s+from|instead\s+of|rather\s+than)\b",
    re.IGNORECASE,
)
# "don't you ...", "why not ...": questions that push, not negations.
_RHETORICAL = re.compile(r"^\s*(?:you|u|ya)\b|^\s*(?:just|even)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n]|\bbut\b|\band\b|\bor\b|\bso\b", re.IGNORECASE)
NEGATION_WINDOW_WORDS = 5


def _negated(text: str, start: int) -> bool:
    """Is the match at ``start`` negated by a word shortly before it, in the same clause?"""
    before = text[max(0, start - 80) : start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    words = before.split()
    window = " ".join(words[-NEGATION_WINDOW_WORDS:])
    for negation in _NEGATION.finditer(window):
        if negation.group(0).lower() in {"stop", "quit"} and window[negation.end() :].strip() == "":
            continue  # "stop being dramatic" is itself the harmful phrase, kept by the pattern
        if _RHETORICAL.match(window[negation.end() :]):
            continue
        return True
    return False


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?\n")
    rights = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    return text[left + 1 : min(rights) + 1 if rights else len(text)]


# --- rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    action: Action
    why: str
    phrases: tuple[str, ...]
    patterns: tuple[str, ...]
    unless: tuple[str, ...] = ()
    negatable: bool = True
    scope: str = "own"
    examples: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    compiled: tuple[tuple[frozenset[str] | None, re.Pattern[str]], ...] = field(
        repr=False, compare=False, default=()
    )
    unless_regex: re.Pattern[str] | None = field(repr=False, compare=False, default=None)

    def find(self, text: str, present: frozenset[str] | set[str] | None = None) -> list[str]:
        """Every phrase of ``text`` this rule matches (after negation and ``unless`` checks).

        ``present``: the gate strings that occur in ``text`` (computed here when not given).
        """
        if present is None:
            lowered = text.lower()
            present = {
                word for gate, _ in self.compiled if gate for word in gate if word in lowered
            }
        matches: list[re.Match[str]] = []
        for gate, regex in self.compiled:
            if gate is not None and gate.isdisjoint(present):
                continue
            matches.extend(regex.finditer(text))
        matches.sort(key=lambda m: m.start())
        found: list[str] = []
        for match in matches:
            if not match.group(0).strip():
                continue
            if self.negatable and _negated(text, match.start()):
                continue
            if self.unless_regex is not None and self.unless_regex.search(
                _sentence_around(text, match.start(), match.end())
            ):
                continue
            found.append(" ".join(match.group(0).split()))
        return found


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    path: str
    digest: str
    gate_words: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, parsed: ParsedText | str) -> tuple[RuleHit, ...]:
        """Rule hits in the writer's own words (one hit per rule: its first matching phrase)."""
        own = parsed if isinstance(parsed, str) else parsed.own_text
        full = parsed if isinstance(parsed, str) else parsed.plain
        # One pass over all gate strings (a few hundred substring tests) per text.
        own_lower, full_lower = own.lower(), full.lower()
        present = {
            "own": {word for word in self.gate_words if word in own_lower},
            "all": {word for word in self.gate_words if word in full_lower},
        }
        hits = []
        for rule in self.rules:
            text = full if rule.scope == "all" else own
            found = rule.find(text, present[rule.scope])
            if found:
                hits.append(RuleHit(rule.id, rule.category, rule.action.value, found[0], rule.why))
        return tuple(hits)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _strings(raw: dict, key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


_VOCAB_REF = re.compile(r"\{([a-z_]+)\}")


def _expand(source: str, vocab: dict[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in vocab:
            raise RulesError(f"{where}: unknown vocab name {{{name}}}")
        return f"(?:{vocab[name]})"

    return _VOCAB_REF.sub(replace, source)


_FLAGS = re.IGNORECASE | re.MULTILINE


def _compile_one(source: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(source, _FLAGS)
    except re.error as exc:
        raise RulesError(f"{where}: bad pattern {source[:80]!r}: {exc}") from exc


def _compile(
    sources: list[str], where: str, vocab: dict[str, str]
) -> tuple[tuple[frozenset[str] | None, re.Pattern[str]], ...]:
    expanded = [_expand(s, vocab, where) for s in sources]
    return tuple((literal_gate(source), _compile_one(source, where)) for source in expanded)


def _compile_any(sources: list[str], where: str, vocab: dict[str, str]) -> re.Pattern[str]:
    expanded = [_expand(s, vocab, where) for s in sources]
    for source in expanded:
        _compile_one(source, where)
    return re.compile("|".join(f"(?:{s})" for s in expanded), _FLAGS)


def _build_rule(raw: object, where: str, vocab: dict[str, str]) -> Rule:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: each [[rule]] must be a table")
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("id", "category", "action", "why"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RulesError(f"{where}: '{key}' is required and must be text")
    where = f"{where} ({raw['id']})"
    if raw["category"] not in _VALID_CATEGORIES:
        raise RulesError(f"{where}: category must be one of {sorted(_VALID_CATEGORIES)}")
    try:
        action = Action(raw["action"])
    except ValueError:
        raise RulesError(f"{where}: action must be one of {[a.value for a in Action]}") from None
    if (action is Action.PUBLISH_GUARD) != (raw["category"] == GUARD_CATEGORY):
        raise RulesError(f"{where}: publish_guard rules (and only they) use category 'supportive'")
    if action is Action.ESCALATE and raw["category"] != "crisis":
        raise RulesError(f"{where}: escalate rules use category 'crisis'")
    phrases = _strings(raw, "phrases", where)
    patterns = _strings(raw, "patterns", where)
    if not phrases and not patterns:
        raise RulesError(f"{where}: needs at least one phrase or pattern")
    sources = [phrase_to_regex(p) for p in phrases] + list(patterns)
    unless = _strings(raw, "unless", where)
    negatable = raw.get("negatable", action is not Action.ESCALATE)
    if not isinstance(negatable, bool):
        raise RulesError(f"{where}: 'negatable' must be true or false")
    scope = raw.get("scope", "own")
    if scope not in ("own", "all"):
        raise RulesError(f"{where}: 'scope' must be 'own' or 'all'")
    examples = _strings(raw, "examples", where)
    if not examples:
        raise RulesError(f"{where}: give at least one example that must match")
    return Rule(
        id=raw["id"],
        category=raw["category"],
        action=action,
        why=" ".join(raw["why"].split()),
        phrases=phrases,
        patterns=patterns,
        unless=unless,
        negatable=negatable,
        scope=scope,
        examples=examples,
        near_misses=_strings(raw, "near_misses", where),
        compiled=_compile(sources, where, vocab),
        unless_regex=_compile_any(list(unless), f"{where} unless", vocab) if unless else None,
    )


def parse_rules(source: str, path: str = "<rules>") -> RuleSet:
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from exc
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RulesError(f"{path}: no [[rule]] tables found")
    vocab = data.get("vocab", {})
    if not isinstance(vocab, dict) or not all(isinstance(v, str) for v in vocab.values()):
        raise RulesError(f"{path}: [vocab] must map names to pattern text")
    rules = tuple(
        _build_rule(raw, f"{path} rule #{n}", vocab) for n, raw in enumerate(raw_rules, 1)
    )
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RulesError(f"{path}: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    gate_words = frozenset(
        word for rule in rules for gate, _ in rule.compiled if gate for word in gate
    )
    return RuleSet(rules=rules, path=path, digest=digest, gate_words=gate_words)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> RuleSet:
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read rules: {exc}") from exc
    return parse_rules(source, path)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rule set at ``path`` (default: the packaged rules.toml); re-read when the file changes."""
    file = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        stat = file.stat()
    except OSError as exc:
        raise RulesError(f"{file}: cannot read rules: {exc}") from exc
    return _load_cached(str(file), stat.st_mtime_ns, stat.st_size)
