"""Sign-in limits per account and per address; the client address behind trusted proxies.

A spent account budget answers exactly like a wrong password plus "try again in N minutes",
for names that exist and names that don't. tests/forum/test_shared_limits.py runs the same
budgets through two gunicorn workers sharing Redis.
"""

from __future__ import annotations

import pytest

from forum.config import ConfigError, load_config
from tests.support.api import API
from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def app_config(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="100 per minute",
                      RATELIMIT_LOGIN_ACCOUNT="3 per 15 minutes")
    return app_config


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(app, address: str, username: str, password: str = "not the password"):
    return from_address(app, address).post("/login", data={"username": username,
                                                           "password": password})


@pytest.mark.both_databases
def test_an_account_is_paused_after_its_budget_whatever_the_address(app):
    make_user("guarded")
    for n in range(3):
        answer = attempt(app, f"198.51.100.{n + 1}", "guarded")
        assert answer.status_code == 422
        assert "try again in" not in answer.get_data(as_text=True)
    locked = attempt(app, "198.51.100.50", "GUARDED", PASSWORD)  # even the right password
    page = locked.get_data(as_text=True)
    assert locked.status_code == 422
    assert "That username and password don&#39;t match" in page
    assert "Please try again in 15 minutes" in page
    assert "Sign out" not in page
    # Another account is not affected.
    make_user("neighbour")
    assert attempt(app, "198.51.100.50", "neighbour", PASSWORD).status_code == 302


@pytest.mark.both_databases
def test_a_paused_name_looks_the_same_whether_or_not_it_exists(app):
    make_user("real_name")
    answers = {}
    for name in ("real_name", "made_up_name"):
        for n in range(3):
            attempt(app, f"192.0.2.{n + 1}", name)
        answer = attempt(app, "192.0.2.99", name)
        answers[name] = (answer.status_code,
                         answer.get_data(as_text=True).replace(name, "NAME"))
    assert answers["real_name"] == answers["made_up_name"]
    assert answers["real_name"][0] == 422


def test_the_api_counts_against_the_same_account_budget(app):
    make_user("guarded")
    for n in range(2):
        attempt(app, f"203.0.113.{n + 1}", "guarded")
    client = from_address(app, "203.0.113.77")
    wrong = client.post(f"{API}/tokens", json={"username": "guarded", "password": "nope nope"})
    assert wrong.status_code == 401 and "try again in" not in wrong.get_json()["message"]
    locked = client.post(f"{API}/tokens", json={"username": "guarded", "password": PASSWORD})
    assert locked.status_code == 401
    assert locked.get_json()["error"] == "unauthorized"
    assert "don't match" in locked.get_json()["message"]
    assert "try again in 15 minutes" in locked.get_json()["message"]


@pytest.mark.parametrize("name", [None, 12, ["a"], "x" * 5000, "\u00e9\u0301"])
def test_odd_names_are_counted_without_errors(app, name):
    client = from_address(app, "203.0.113.5")
    answer = client.post(f"{API}/tokens", json={"username": name, "password": "whatever it is"})
    assert answer.status_code == 401


# --- the client address behind a proxy (FORUM_TRUSTED_PROXIES) ----------------------------

@pytest.fixture
def per_address(app_config):
    app_config.update(RATELIMIT_LOGIN="2 per minute", RATELIMIT_LOGIN_ACCOUNT="100 per minute")
    return app_config


def through_proxy(client, forwarded_for: str):
    return client.post("/login", data={"username": "someone", "password": "not it at all"},
                       headers={"X-Forwarded-For": forwarded_for})


@pytest.fixture
def one_proxy(per_address):
    per_address["TRUSTED_PROXIES"] = 1
    return per_address


def test_behind_one_trusted_proxy_each_visitor_has_their_own_budget(one_proxy, app):
    proxy = app.test_client()  # every request comes from the proxy's own address
    for _ in range(2):
        assert through_proxy(proxy, "203.0.113.10").status_code == 422
    assert through_proxy(proxy, "203.0.113.10").status_code == 429
    assert through_proxy(proxy, "203.0.113.20").status_code == 422  # another visitor


def test_without_trusted_proxies_the_header_is_ignored(per_address, app):
    assert app.config["TRUSTED_PROXIES"] == 0
    proxy = app.test_client()
    for _ in range(2):
        assert through_proxy(proxy, "203.0.113.10").status_code == 422
    # A forged header doesn't buy a new budget.
    assert through_proxy(proxy, "203.0.113.20").status_code == 429


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11"])
def test_a_bad_trusted_proxies_value_stops_start_up_with_a_clear_message(tmp_path, value):
    with pytest.raises(ConfigError, match="FORUM_TRUSTED_PROXIES"):
        load_config(tmp_path, {"FORUM_TRUSTED_PROXIES": value, "FORUM_SECRET_KEY": "k"})


def test_trusted_proxies_default_to_none(tmp_path):
    assert load_config(tmp_path, {"FORUM_SECRET_KEY": "k"})["TRUSTED_PROXIES"] == 0
