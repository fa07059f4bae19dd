"""Looking members up by name (block, unblock; pages and API) answers the same for unknown
names and is rate-limited, in the limiter's configured storage (shared across workers when it
is Redis), one budget per member across pages and API."""

from __future__ import annotations

import random

import pytest

from tests.support.api import API, bearer
from tests.support.factories import make_user
from tests.support.web import login

REDIS_URL = "redis://127.0.0.1:6379"


def _redis_unavailable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"Redis unreachable at {REDIS_URL}: {exc}"
    return None


@pytest.fixture(params=["memory", "redis"])
def app_config(request, app_config):
    if request.param == "redis":
        reason = _redis_unavailable()
        if reason:
            pytest.skip(reason)
        app_config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    # A window no other test uses, so counts left in Redis by other runs never meet this one's.
    window = random.randint(10_000, 99_999)
    app_config.update(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False,
                      RATELIMIT_LOOKUP=f"4 per {window} second")
    return app_config


@pytest.mark.both_databases
def test_lookups_share_one_budget_and_answer_alike_for_unknown_names(client, app):
    me = make_user("river_stone")
    make_user("ash")
    headers = bearer(me)
    answers = [
        client.post(f"{API}/users/ash/block", headers=headers).status_code,
        client.post(f"{API}/users/nobody_here/block", headers=headers).status_code,
        client.delete(f"{API}/users/nobody_here/block", headers=headers).status_code,
    ]
    assert answers == [204, 204, 204]
    login(client, "river_stone")
    assert client.post("/members/someone_else/unblock").status_code == 302  # the 4th lookup
    refused = client.delete(f"{API}/users/ash/block", headers=headers)
    assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
    assert client.post("/members/ash/block").status_code == 429
    # Another member has their own budget.
    assert client.post(f"{API}/users/ash/block", headers=bearer(make_user())).status_code == 204
