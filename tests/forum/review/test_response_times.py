"""How long cases wait for a person: the response-time panel and the queue's waiting times;
crisis and content-warned posts folded in the queue (moderator wellbeing)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from forum import posting, review
from forum.extensions import db
from forum.models import ModerationCase, utcnow
from tests.support.factories import make_user
from tests.support.fake_pipeline import screened
from tests.support.web import login

pytestmark = pytest.mark.both_databases


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


def _crisis_case(author, title: str = "Tonight") -> ModerationCase:
    post = posting.create_thread(author, "going-no-contact", title, "I want to die tonight.").post
    return review.open_case_for(post.id)


def _age(case: ModerationCase, minutes: float) -> None:
    """Move a case's clock back: it opened (and became urgent) this long ago."""
    then = utcnow() - timedelta(minutes=minutes)
    db.session.execute(update(ModerationCase).where(ModerationCase.id == case.id)
                       .values(created_at=then, urgent_since=then))
    db.session.commit()


def test_median_and_90th_percentile_of_time_to_first_action(app):
    mod = make_user("mod_willow", role="moderator")
    author = make_user("member_rowan")
    cases = [_crisis_case(author, f"Night {n}") for n in range(4)]
    for case, minutes in zip(cases[:3], (30, 20, 10), strict=True):
        _age(case, minutes)
    for case in cases[:3]:
        review.claim(mod, case.id)  # the first action, now
    _age(cases[3], 5)  # nobody has looked yet

    times = review.response_times()
    urgent = times[7]["urgent"]
    assert (urgent.acted_on, urgent.waiting) == (3, 1)
    assert abs(urgent.median - timedelta(minutes=20)) < timedelta(minutes=1)
    assert abs(urgent.p90 - timedelta(minutes=30)) < timedelta(minutes=1)
    assert times[30]["urgent"].acted_on == 3
    assert times[7]["held"].median is None and times[7]["held"].acted_on == 0


def test_queue_shows_waiting_times_the_panel_and_folds_crisis_posts(app, client):
    make_user("mod_willow", role="moderator")
    case = _crisis_case(make_user("member_rowan"))
    _age(case, 12)
    login(client, "mod_willow")
    page = client.get("/mod/").get_data(as_text=True)
    assert re.search(r"waiting 1[23] min", page)
    assert "Time to a first moderator action" in page
    # Folded in the queue: the words are inside a closed <details>, after its summary.
    fold = page.index('<details class="case__fold">')
    assert "A crisis post (folded; open to read)" in page
    assert page.index("I want to die tonight.") > fold
    case_page = client.get(f"/mod/cases/{case.id}").get_data(as_text=True)
    assert 'class="case__fold"' not in case_page  # the case page shows it: they chose to open it
    assert "I want to die tonight." in case_page
