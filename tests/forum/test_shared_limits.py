"""Two gunicorn workers share one rate-limit budget in Redis (the issue: with memory://
storage and 2 workers, 19 of 30 password guesses got through a 10-per-minute limit)."""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from forum import PROJECT_ROOT
from tests.support.factories import make_user
from tests.support.gunicorn import start_gunicorn, stop_gunicorn

REDIS = ("127.0.0.1", 6379)


def redis_problem() -> str | None:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            if connection.recv(16).startswith(b"+PONG"):
                return None
    except OSError as exc:
        return f"Redis unreachable at {REDIS[0]}:{REDIS[1]}: {exc}"
    return "Redis did not answer PING"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_workers(app, database_url, tmp_path):
    problem = redis_problem()
    if problem:
        pytest.skip(problem)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    # As `make run` does it: no storage URL; gunicorn.conf.py finds the Redis that answers.
    env = {
        **{k: v for k, v in os.environ.items() if k != "FORUM_RATELIMIT_STORAGE_URL"},
        "FORUM_REDIS_PROBE": f"{REDIS[0]}:{REDIS[1]}",
        "FORUM_DATABASE_URL": database_url, "FORUM_SECRET_KEY": "shared-limits-test",
        "FORUM_MODERATION_SCREENING": "off", "FORUM_ENV": "development",
        "FORUM_RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "FORUM_RATELIMIT_LOGIN": "8 per minute",
        "FORUM_RATELIMIT_LOGIN_ACCOUNT": "5 per 15 minutes",
        "FORUM_TRUSTED_PROXIES": "1",
        "FORUM_BIND": f"127.0.0.1:{port}", "FORUM_WORKERS": "2",
    }
    server = start_gunicorn(env, log, "--access-logfile", "-",
                            "--access-logformat", "pid=%(p)s %(s)s", "--no-control-socket")
    url = f"http://127.0.0.1:{port}"

    def stop() -> str:
        if server.poll() is None:
            stop_gunicorn(server)
        return log.read_text()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/login", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(stop()[-2000:]) from None
                time.sleep(0.2)
        yield url, stop
    finally:
        stop()


def token_attempt(url: str, username: str, forwarded_for: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{url}/api/v1/tokens", method="POST",
        data=json.dumps({"username": username, "password": "a wrong guess"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.both_databases
def test_two_workers_share_the_address_and_the_account_budgets(two_workers):
    url, stop = two_workers
    make_user("guarded")
    with ThreadPoolExecutor(max_workers=6) as pool:
        # One visitor (one forwarded address) guessing 20 different names: 8 per minute.
        by_address = list(pool.map(lambda n: token_attempt(url, f"name{n}", "203.0.113.7"),
                                   range(20)))
        # 12 visitors guessing one account's password: 5 per 15 minutes for the account.
        by_account = list(pool.map(lambda n: token_attempt(url, "guarded", f"198.51.100.{n}"),
                                   range(1, 13)))

    assert sum(status != 429 for status, _ in by_address) == 8
    assert sum(status == 429 for status, _ in by_address) == 12
    assert all(status == 401 for status, _ in by_account)
    paused = [body for _, body in by_account if "try again in" in body]
    assert len(paused) == 12 - 5

    text = stop()
    pids = set(re.findall(r"pid=<(\d+)> 40[19]", text))
    assert len(pids) == 2, text[-3000:]


def gunicorn_conf():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", PROJECT_ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_make_run_uses_redis_when_it_answers():
    problem = redis_problem()
    if problem:
        pytest.skip(problem)
    environ = {"FORUM_REDIS_PROBE": f"{REDIS[0]}:{REDIS[1]}"}
    assert gunicorn_conf().choose_rate_limit_storage(environ) == "redis://127.0.0.1:6379/0"
    assert environ["FORUM_RATELIMIT_STORAGE_URL"] == "redis://127.0.0.1:6379/0"


def test_without_redis_it_says_each_worker_counts_alone(capsys):
    environ = {"FORUM_REDIS_PROBE": f"127.0.0.1:{free_port()}"}
    assert gunicorn_conf().choose_rate_limit_storage(environ) == "memory://"
    assert "counts rate limits on its own" in capsys.readouterr().err
    assert "FORUM_RATELIMIT_STORAGE_URL" not in environ


def test_an_explicit_storage_is_kept():
    environ = {"FORUM_RATELIMIT_STORAGE_URL": "memcached://10.1.1.1:11211"}
    assert gunicorn_conf().choose_rate_limit_storage(environ) == "memcached://10.1.1.1:11211"


def test_reading_the_config_changes_nothing_until_gunicorn_starts(monkeypatch):
    monkeypatch.delenv("FORUM_RATELIMIT_STORAGE_URL", raising=False)
    gunicorn_conf()
    assert "FORUM_RATELIMIT_STORAGE_URL" not in os.environ


def test_workers_run_more_threads_on_postgresql_than_on_sqlite():
    conf = gunicorn_conf()
    assert conf.default_threads({}) == 4  # the default database is an SQLite file
    assert conf.default_threads({"FORUM_DATABASE_URL": "sqlite:////srv/forum.db"}) == 4
    assert conf.default_threads({"FORUM_DATABASE_URL": "postgresql+psycopg://db/forum"}) == 16
