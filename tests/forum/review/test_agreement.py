"""How well screening agrees with moderators: the figures, the page, the CSV, who may see it."""

from __future__ import annotations

import csv
import io

import pytest

from forum import posting, review
from tests.support.factories import make_thread, make_user
from tests.support.fake_pipeline import screened
from tests.support.web import login

pytestmark = pytest.mark.both_databases

SHAMING = "You went back again? Pathetic."  # the fake pipeline holds "went back again"


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def decided(app):
    """Three automatic holds (2 rejected, 1 approved), a reported post removed, a crisis."""
    mod = make_user("mod_willow", role="moderator")
    thread = make_thread(make_user("member_rowan")).thread
    writer = make_user("member_stone")
    held = [posting.reply(writer, thread.id, f"{SHAMING} ({n})", acknowledge_nudge=True).post
            for n in range(3)]
    for post, decide in zip(held, ("reject", "reject", "approve"), strict=True):
        case = review.open_case_for(post.id)
        if decide == "reject":
            review.reject(mod, case.id, "Shaming for breaking No Contact.")
        else:
            review.approve(mod, case.id)
    missed = posting.reply(writer, thread.id, "Honestly it sounds like you asked for it.").post
    posting.report_post(make_user("member_fern"), missed.id, "Blaming her.")
    review.reject(mod, review.open_case_for(missed.id).id, "Victim blaming.", "victim_blaming")
    posting.create_thread(make_user("member_ash"), "going-no-contact", "Tonight",
                          "I want to die tonight.")
    return mod


def test_figures_per_week_and_category(decided):
    rows = {row.category: row for row in review.agreement()}
    shaming = rows["nc_shaming"]
    assert (shaming.holds_rejected, shaming.holds_approved) == (2, 1)
    assert shaming.precision == pytest.approx(2 / 3)
    assert rows["victim_blaming"].misses == 1
    assert (rows["crisis"].escalations, rows["crisis"].escalations_handled) == (1, 0)
    (week,) = review.weekly_totals(list(rows.values()))
    assert (week.holds_rejected, week.holds_approved, week.misses) == (2, 1, 1)


def test_page_charts_tables_and_csv_for_moderators_only(app, decided, client):
    assert client.get("/mod/agreement").status_code in (302, 404)  # anonymous
    login(client, "member_fern")
    assert client.get("/mod/agreement").status_code in (403, 404)
    assert client.get("/mod/agreement.csv").status_code in (403, 404)
    client = app.test_client()
    login(client, "mod_willow")
    page = client.get("/mod/agreement").get_data(as_text=True)
    assert page.count('role="img"') == 3 and "<svg" in page
    assert 'id="agreement-categories"' in page and "67%" in page  # 2 of 3 holds were right
    answer = client.get("/mod/agreement.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    shaming = next(row for row in table if row["category"] == "nc_shaming")
    assert (shaming["holds_rejected"], shaming["holds_approved"], shaming["precision"]) == (
        "2", "1", "0.667")
