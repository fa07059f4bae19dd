"""`flask categories list|visibility` and `flask trust show|set`: who reads what, from the
command line, with clear messages and exit codes for bad input."""

from __future__ import annotations

import pytest

from forum import trust
from forum.extensions import db
from forum.models import AuditEntry, Category
from forum.reading import get_category
from tests.support.factories import make_user

pytestmark = pytest.mark.both_databases


def test_categories_are_listed_with_their_visibility(runner):
    result = runner.invoke(args=["categories", "list"])
    assert result.exit_code == 0
    lines = {line.split()[0]: line.split()[1] for line in result.output.splitlines()}
    assert lines["healing-and-self-care"] == "everyone" and lines["going-no-contact"] == "members"


def test_a_moderator_sets_a_category_visibility(runner):
    make_user("mod_rowan", role="moderator")
    result = runner.invoke(args=["categories", "visibility", "low-contact", "trusted",
                                 "--moderator", "mod_rowan"])
    assert result.exit_code == 0, result.output
    assert get_category("low-contact").visibility == "trusted"
    entry = db.session.query(AuditEntry).filter_by(action="category_visibility_set").one()
    assert entry.actor.username == "mod_rowan"


@pytest.mark.parametrize("args, code, message", [
    (["low-contact", "nobody", "--moderator", "mod_rowan"], 2, "nobody"),
    (["no-such", "everyone", "--moderator", "mod_rowan"], 1, "no category called"),
    (["low-contact", "everyone", "--moderator", "fernleaf"], 1, "Only moderators"),
    (["low-contact", "everyone", "--moderator", "ghost"], 1, "no member called"),
    (["low-contact", "everyone"], 2, "--moderator"),
])
def test_bad_category_changes_fail_clearly_and_change_nothing(runner, args, code, message):
    make_user("mod_rowan", role="moderator")
    make_user("fernleaf")
    result = runner.invoke(args=["categories", "visibility", *args])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.query(Category).filter_by(slug="low-contact").one().visibility == "members"


def test_trust_levels_are_shown_and_set(runner):
    make_user("mod_rowan", role="moderator")
    fern = make_user("fernleaf")
    shown = runner.invoke(args=["trust", "show", "fernleaf"])
    assert shown.exit_code == 0 and "fernleaf: new (from time and posts)" in shown.output
    result = runner.invoke(args=["trust", "set", "fernleaf", "trusted", "--moderator", "mod_rowan"])
    assert result.exit_code == 0, result.output
    assert "fernleaf: trusted (set by a moderator" in result.output
    assert trust.level_of(fern) == "trusted"
    assert runner.invoke(args=["trust", "set", "fernleaf", "auto", "--moderator",
                               "mod_rowan"]).exit_code == 0
    assert trust.level_of(fern) == "new"


@pytest.mark.parametrize("args, code", [
    (["set", "fernleaf", "admin", "--moderator", "mod_rowan"], 2),
    (["set", "ghost", "trusted", "--moderator", "mod_rowan"], 1),
    (["set", "fernleaf", "trusted", "--moderator", "fernleaf"], 1),
    (["show", "ghost"], 1),
])
def test_bad_trust_commands_fail_clearly(runner, args, code):
    make_user("mod_rowan", role="moderator")
    fern = make_user("fernleaf")
    result = runner.invoke(args=["trust", *args])
    assert result.exit_code == code and "Traceback" not in result.output
    assert fern.trust_level_override is None
