"""Real gunicorn with gunicorn.conf.py: the master loads the models before forking, so the
workers share one copy of the weights, screen posts at once, and never lose one.

Needs the trained community model (`make model` builds it; `make test` does so first).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forum import PROJECT_ROOT
from tests.support.gunicorn import stop_gunicorn, worker_pids

CHECKPOINT = Path(
    os.environ.get("MODERATION_MODEL")
    or PROJECT_ROOT / "instance" / "moderation" / "community.ckpt"
)
SECRET = "gunicorn-test-secret-key-not-for-production"
PASSWORD = "a long test password 4821"

pytestmark = pytest.mark.model


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, body=None, token: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body or {}), headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _build_forum(url: str, workdir: Path) -> int:
    from forum import accounts, create_app, posting
    from forum.extensions import db
    from forum.models import ensure_default_categories

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(workdir / "instance"),
            "MODERATION_SCREENING": "off",
        }
    )
    with app.app_context():
        db.create_all()
        ensure_default_categories()
        db.session.commit()
        member = accounts.create_user("preload_member", "member@preload.test", PASSWORD)
        thread_id = posting.create_thread(
            member, "going-no-contact", "Check-in", "How is everyone doing today?"
        ).thread.id
        db.session.remove()
        db.engine.dispose()
    return thread_id


def _memory_kib(pid: int) -> dict[str, int]:
    figures = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                figures[parts[0].rstrip(":")] = int(parts[1])
    return figures


@pytest.fixture
def served_forum(tmp_path):
    if not CHECKPOINT.is_file():
        pytest.skip(f"no community model at {CHECKPOINT}: run `make model` first")
    url = f"sqlite:///{tmp_path / 'forum.db'}"
    thread_id = _build_forum(url, tmp_path)
    port = _free_port()
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": url,
        "FORUM_SECRET_KEY": SECRET,
        "FORUM_RATELIMIT_ENABLED": "0",
        "MODERATION_MODEL": str(CHECKPOINT),
        "MODERATION_TOXICITY_MODEL": "none",
        "FORUM_BIND": f"127.0.0.1:{port}",
        "FORUM_WORKERS": "2",
        "FORUM_PRELOAD": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _request(port, "GET", "/api/v1/categories")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer:\n" + log.read_text(errors="replace")[-3000:])
        yield server, port, thread_id, log
    finally:
        stop_gunicorn(server)


def test_the_master_loads_the_models_and_the_workers_share_them(served_forum):
    server, port, thread_id, log = served_forum
    text = log.read_text(errors="replace")
    loaded_at = text.find("screening models loaded before forking: True")
    assert loaded_at != -1, text[-3000:]
    assert loaded_at < text.find("Booting worker")  # loaded, then forked

    status, answer = _request(
        port, "POST", "/api/v1/tokens", {"username": "preload_member", "password": PASSWORD}
    )
    assert status == 201
    token = answer["token"]
    for _ in range(4):  # both workers screen with the real model
        status, answer = _request(
            port,
            "POST",
            f"/api/v1/threads/{thread_id}/posts",
            {"body": "Proud of you for holding the line this week."},
            token,
        )
        assert status == 201 and answer["status"] == "published"

    workers = worker_pids(server.pid)
    assert len(workers) == 2
    for pid in workers:
        memory = _memory_kib(pid)
        shared = memory["Shared_Clean"] + memory["Shared_Dirty"]
        # Most of a worker's memory is the master's pages (the weights), not its own copy.
        assert shared > memory["Rss"] / 2, memory
