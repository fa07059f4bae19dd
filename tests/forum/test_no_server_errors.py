"""No input makes the forum answer 500: property-based requests over every route.

Every route in the URL map is called, by an anonymous visitor, a member and a moderator, with
generated path values, query strings, form fields and JSON bodies: lone surrogates, NUL and
other control characters, huge numbers, wrong JSON types. TESTING is on, so an unhandled
exception fails the test with its traceback; a 5xx answer fails it too.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum import posting
from tests.support.api import api_token
from tests.support.factories import PASSWORD, make_thread, make_user
from tests.support.fake_pipeline import screened
from tests.support.web import login

FIELDS = (
    "title", "body", "category", "content_warning", "username", "password", "email", "next",
    "reason", "parent_id", "digest", "muted", "muted_categories", "lane", "case_ids", "action",
    "note", "days", "remember", "acknowledge_nudge", "page", "reply_to", "member", "token",
    "current_password", "new_password", "confirm", "category_slug",
)
NASTY = ("\x00", "\ud800", "\udfff", "\x1b[31m", "9" * 25, "-1", "0", "last", "../..", "%00",
         "\u202e", "a" * 300, "", " ", "1e309", "NaN")

texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)),
    max_leaves=6,
)
json_bodies = st.one_of(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5),
                        json_values)
params = st.dictionaries(st.sampled_from(FIELDS), texts, max_size=4)
# Path values that reach real rows half of the time, so the views behind the lookups run too.
path_values = st.one_of(st.sampled_from(["1", "2", "3", "going-no-contact", "river_member",
                                         "willow_mod"]), texts)
ROUTE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _encoded(pairs: dict[str, str]) -> str:
    """URL-encode as a raw client could: lone surrogates become the bytes of their code point."""
    return urlencode({key: value.encode("utf-8", "surrogatepass") for key, value in pairs.items()})


def _path(rule: str, value: str) -> str:
    segment = quote(value.encode("utf-8", "surrogatepass"), safe="") or "x"
    return ROUTE_ARGUMENT.sub(segment, rule)


@pytest.fixture
def world(app_config):
    screened(app_config)
    app_config["WTF_CSRF_ENABLED"] = False
    return app_config


@pytest.fixture
def callers(world, app):
    member, moderator = make_user("river_member"), make_user("willow_mod", role="moderator")
    thread = make_thread(member)
    posting.reply(moderator, thread.thread.id, "Thinking of you.")
    posting.reply(member, thread.thread.id, "you deserved it", acknowledge_nudge=True)
    anonymous, signed_in, staff = app.test_client(), app.test_client(), app.test_client()
    assert login(signed_in, member.username, PASSWORD).status_code == 302
    assert login(staff, moderator.username, PASSWORD).status_code == 302
    tokens = {"member": api_token(app.test_client(), member.username),
              "moderator": api_token(app.test_client(), moderator.username)}
    rules = [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if rule.endpoint != "static" and rule.rule != "/api/v1/tokens/current"
    ]
    return {"clients": {"anonymous": anonymous, "member": signed_in, "moderator": staff},
            "tokens": tokens, "rules": rules, "thread_id": thread.thread.id}


def _check(callers, rule_index, who, path_value, query, form, body, as_json):
    rule, method = callers["rules"][rule_index % len(callers["rules"])]
    url = _path(rule, path_value)
    client = callers["clients"][who]
    headers = {}
    if rule.startswith("/api/") and who != "anonymous":
        headers.update(callers["tokens"][who])
    kwargs = {"query_string": _encoded(query), "headers": headers}
    if method in ("POST", "PATCH", "DELETE"):
        if as_json:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        else:
            kwargs["data"] = _encoded(form)
            kwargs["content_type"] = "application/x-www-form-urlencoded"
    response = client.open(url, method=method, **kwargs)
    assert response.status_code < 500, (method, url, response.status_code)


@pytest.mark.both_databases
@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rule_index=st.integers(min_value=0, max_value=500),
       who=st.sampled_from(["anonymous", "member", "moderator"]),
       path_value=path_values, query=params, form=params, body=json_bodies, as_json=st.booleans())
def test_no_input_makes_a_server_error(callers, rule_index, who, path_value, query, form, body,
                                       as_json):
    _check(callers, rule_index, who, path_value, query, form, body, as_json)


REGRESSIONS = [
    # (method, url, json body or None, form or None) from the reliability issue
    ("POST", "/api/v1/threads/{thread}/posts", {"body": "hello \ud800 there"}, None),
    ("POST", "/api/v1/threads", {"category": "going-no-contact", "title": "Day \ud800 one",
                                 "body": "ok"}, None),
    ("POST", "/api/v1/threads", {"category": "going-no-contact", "title": "Day\x00 one",
                                 "body": "ok", "content_warning": "cw\x00"}, None),
    ("PATCH", "/api/v1/me", {"digest": ["daily"]}, None),
    ("GET", "/c/going-no-contact?page=99999999999999999999", None, None),
    ("GET", "/t/{thread}?page=99999999999999999999", None, None),
    ("GET", "/mod/?page=99999999999999999999", None, None),
    ("GET", "/mod/audit?page=99999999999999999999", None, None),
    ("GET", "/api/v1/threads?category=abc%00", None, None),
    ("GET", "/?category=abc%00", None, None),
    ("POST", "/api/v1/moderation/cases/99999999999999999999", {"action": "approve"}, None),
    ("POST", "/members/na%00me/block", None, {}),
    ("POST", "/login", None, {"username": "wil\x00low", "password": "x"}),
]


@pytest.mark.both_databases
@pytest.mark.parametrize("method,url,body,form", REGRESSIONS)
def test_known_bad_inputs_get_a_clear_answer(callers, method, url, body, form):
    client = callers["clients"]["moderator"]
    url = url.format(thread=callers["thread_id"])
    headers = dict(callers["tokens"]["moderator"]) if url.startswith("/api/") else {}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    elif form is not None:
        kwargs.update(data=_encoded(form), content_type="application/x-www-form-urlencoded")
    response = client.open(url, method=method, **kwargs)
    assert response.status_code < 500
    surrogate = any(isinstance(v, str) and "\ud800" in v for v in (body or {}).values())
    if surrogate:  # stored, with U+FFFD in place of the lone surrogate
        assert response.status_code == 201, response.get_json()
        stored = client.get(f"/api/v1/threads/{response.get_json()['id']}", headers=headers)
        assert "\ufffd" in json.dumps(stored.get_json(), ensure_ascii=False)
