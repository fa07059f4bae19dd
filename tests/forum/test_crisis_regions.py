"""Crisis lines by region: the configured table (defaults, or a JSON/TOML file checked at
start-up), a member's private choice in their settings and in /me, shown wherever crisis lines
are shown, and filled into a moderator's outreach message without revealing the region."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from forum import crisis_resources, review
from forum.config import ConfigError, load_config
from forum.extensions import db
from forum.models import Notice, User
from tests.support.api import API, assert_error, bearer
from tests.support.factories import make_thread, make_user
from tests.support.fake_pipeline import screened
from tests.support.web import login, post_form

SAMARITANS = "call 116 123, free, day or night"
LIFELINE = "call 13 11 14 or text 0477 13 11 14"
FIND_A_HELPLINE = "findahelpline.com"


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_default_table_has_a_handful_of_regions_and_an_international_list(tmp_path):
    table = load_config(tmp_path, environ={})["CRISIS_RESOURCES"]
    assert {"uk", "us", "ca", "au", "ie", "international"} <= set(table)
    assert crisis_resources.check_table(table) == table
    assert any(line["contact"] == FIND_A_HELPLINE for line in table["international"]["lines"])


def test_a_file_replaces_the_table_and_a_bad_one_stops_the_start(tmp_path):
    regions = {"international": {"label": "Everywhere", "lines": [
        {"name": "Find a helpline", "contact": "findahelpline.com",
         "url": "https://findahelpline.com"}]},
        "nz": {"label": "Aotearoa New Zealand", "lines": [
            {"name": "Need to talk?", "contact": "call or text 1737"}]}}
    as_json = tmp_path / "lines.json"
    as_json.write_text(json.dumps(regions))
    table = load_config(tmp_path, {"FORUM_CRISIS_RESOURCES_FILE": str(as_json)})[
        "CRISIS_RESOURCES"]
    assert set(table) == {"international", "nz"}
    as_toml = tmp_path / "lines.toml"
    as_toml.write_text('[international]\nlabel = "Everywhere"\n'
                       '[[international.lines]]\nname = "Find a helpline"\n'
                       'contact = "findahelpline.com"\n')
    assert set(load_config(tmp_path, {"FORUM_CRISIS_RESOURCES_FILE": str(as_toml)})[
        "CRISIS_RESOURCES"]) == {"international"}

    bad = [
        {"nz": regions["nz"]},  # no international list
        {"international": {"label": "x", "lines": []}},
        {"international": {"label": "x", "lines": [{"name": "a"}]}},
        {"International!": regions["international"]},
        {"international": {"label": "x", "lines": [
            {"name": "a", "contact": "b", "url": "javascript:alert(1)"}]}},
        ["not", "a", "table"],
    ]
    for n, data in enumerate(bad):
        path = tmp_path / f"bad{n}.json"
        path.write_text(json.dumps(data))
        with pytest.raises(ConfigError, match="FORUM_CRISIS_RESOURCES_FILE"):
            load_config(tmp_path, {"FORUM_CRISIS_RESOURCES_FILE": str(path)})
    for missing in (tmp_path / "missing.json", tmp_path / "broken.json"):
        if missing.name == "broken.json":
            missing.write_text("{not json")
        with pytest.raises(ConfigError):
            load_config(tmp_path, {"FORUM_CRISIS_RESOURCES_FILE": str(missing)})


def test_a_member_chooses_a_region_that_only_they_see(app, client):
    thread = make_thread(make_user("opener")).thread
    fern = make_user("fern")
    make_user("moss")
    login(client, "fern")
    assert FIND_A_HELPLINE in _text(client.get("/"))  # not set: the international list
    settings = _text(client.get("/account/settings"))
    assert "Crisis lines for where you live" in settings and "Australia" in settings
    assert client.post("/account/settings/region", data={"region-region": "au"}).status_code \
        == 400  # no CSRF token
    saved = post_form(client, "/account/settings/region", {"region-region": "au"},
                      token_page="/account/settings")
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, fern.id).crisis_region == "au"
    mine = _text(client.get(f"/t/{thread.id}"))
    assert LIFELINE in mine and "Lines for: Australia" in mine
    bad = post_form(client, "/account/settings/region", {"region-region": "atlantis"},
                    token_page="/account/settings")
    assert bad.status_code == 422 and "Please choose one of the regions" in _text(bad)

    other = app.test_client()
    login(other, "moss")
    theirs = _text(other.get(f"/t/{thread.id}"))
    assert LIFELINE not in theirs and "Australia" not in theirs and FIND_A_HELPLINE in theirs
    visitor = _text(app.test_client().get(f"/t/{thread.id}"))
    assert LIFELINE not in visitor and FIND_A_HELPLINE in visitor

    cleared = post_form(client, "/account/settings/region", {"region-region": ""},
                        token_page="/account/settings")
    assert cleared.status_code == 302 and FIND_A_HELPLINE in _text(client.get("/"))


@pytest.mark.both_databases
def test_the_api_shows_and_changes_only_the_callers_own_region(client):
    fern = make_user("fern")
    headers = bearer(fern)
    changed = client.patch(f"{API}/me", headers=headers, json={"crisis_region": "uk"})
    assert changed.status_code == 200 and changed.get_json()["crisis_region"] == "uk"
    assert_error(client.patch(f"{API}/me", headers=headers, json={"crisis_region": "mars"}), 422)
    assert_error(client.patch(f"{API}/me", headers=headers, json={"crisis_region": 3}), 422)
    # Checked before anything is written: a bad digest leaves the region alone too.
    assert_error(client.patch(f"{API}/me", headers=headers,
                              json={"crisis_region": "us", "digest": "hourly"}), 422)
    db.session.expire_all()
    assert db.session.get(User, fern.id).crisis_region == "uk"
    thread = make_thread(fern).thread
    for path in (f"/threads/{thread.id}", "/threads", "/categories"):
        answer = client.get(f"{API}{path}", headers=bearer(make_user()))
        assert "crisis_region" not in _text(answer) and '"uk"' not in _text(answer)
    assert client.patch(f"{API}/me", headers=headers,
                        json={"crisis_region": None}).get_json()["crisis_region"] is None


@pytest.fixture
def crisis_scene(app_config):
    screened(app_config)


def test_crisis_box_and_outreach_use_the_members_region(crisis_scene, app, client):
    mod = make_user("mod_willow", role="moderator")
    rowan = make_user("rowan")
    crisis_resources.set_region(rowan, "uk")
    login(client, "rowan")
    sent = post_form(client, "/new", {"category": "going-no-contact", "title": "Tonight",
                                      "body": "I want to die tonight."}, token_page="/new")
    assert sent.status_code == 302
    box = _text(client.get(sent.location))
    assert "carry this alone" in box and SAMARITANS in box and "call 999" in box

    case = review.open_cases("urgent").items[0]
    moderator = app.test_client()
    login(moderator, "mod_willow")
    page = _text(moderator.get(f"/mod/cases/{case.id}"))
    assert "{resources}" in page and SAMARITANS not in page and "United Kingdom" not in page
    template = review.templates()[0].body.replace("{name}", "rowan")
    review.reach_out(mod, case.id, template)
    notice = db.session.scalar(select(Notice).where(Notice.kind == "outreach"))
    assert notice.user_id == rowan.id
    assert "{resources}" not in notice.message and SAMARITANS in notice.message
    assert "Samaritans: " + SAMARITANS in notice.message


def test_a_region_no_longer_configured_falls_back_to_the_default(app):
    rowan = make_user("rowan")
    rowan.crisis_region = "gone"
    db.session.commit()
    assert crisis_resources.region_for(rowan.crisis_region).code == "international"
    assert FIND_A_HELPLINE in crisis_resources.as_text(rowan.crisis_region)
