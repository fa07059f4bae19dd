"""Shared fixtures: an app on a fresh database per test (SQLite; PostgreSQL where asked)."""

from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

POSTGRES_URL = os.environ.get(
    "FORUM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_postgres_problem: list[str] = []


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise why not (cached for the session)."""
    if not _postgres_problem:
        try:
            import sqlalchemy

            engine = sqlalchemy.create_engine(POSTGRES_URL)
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("select 1"))
            engine.dispose()
            _postgres_problem.append("")
        except Exception as exc:
            _postgres_problem.append(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")
    return _postgres_problem[0] or None


def pytest_generate_tests(metafunc):
    # Tests marked both_databases run once on SQLite and once on PostgreSQL;
    # tests marked postgres run on PostgreSQL only.
    if "db_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("both_databases"):
            backends.append("postgresql")
        elif metafunc.definition.get_closest_marker("postgres"):
            backends = ["postgresql"]
        metafunc.parametrize("db_backend", backends, indirect=True)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_databases: run the test on SQLite and on PostgreSQL"
    )


@pytest.fixture
def db_backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(db_backend, tmp_path):
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'forum.db'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    # A private schema per test keeps tests independent without creating databases.
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def app_config(database_url, tmp_path):
    """Overrides for create_app; tests may update this dict before asking for `app`."""
    from tests.support.mail import Outbox

    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        # Explicit: gunicorn.conf.py (exec'd by a test) may have set the variable to a Redis.
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "MODERATION_SCREENING": "off",
        "BASE_URL": "http://forum.test",
        # Account emails land in a list (the `outbox` fixture); tests/smtp/ uses real SMTP.
        "MAIL_TRANSPORT": Outbox(),
    }


def _isolate_requests(app) -> None:
    """Give every test-client request its own login and CSRF state.

    The `app` fixture keeps one app context pushed for the whole test and Flask reuses it for
    test-client requests, so `g` (where Flask-Login caches the signed-in member and Flask-WTF the
    CSRF token) would leak from one client's request into another's. Production gets a fresh `g`
    per request; clear both as each request starts, before any before_request handler runs.
    """
    from flask import g, request_started

    def forget_request_state(sender, **extra):
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)

    # blinker holds receivers weakly: keep a reference on the app.
    app.extensions["tests.forget_request_state"] = forget_request_state
    request_started.connect(forget_request_state, app)


def _closing_test_client(app) -> None:
    """Test-client responses are closed before the call returns, as a real server closes
    them once sent: work deferred until after the answer (forum/after_response.py) runs."""
    from flask.testing import FlaskClient

    class ClosingClient(FlaskClient):
        def open(self, *args, **kwargs):
            kwargs.setdefault("buffered", True)
            return super().open(*args, **kwargs)

    app.test_client_class = ClosingClient


@pytest.fixture
def app(app_config):
    from forum import create_app
    from forum.extensions import db
    from forum.models import ensure_default_categories

    app = create_app(app_config)
    _isolate_requests(app)
    _closing_test_client(app)
    with app.app_context():
        db.create_all()
        ensure_default_categories()
        db.session.commit()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def outbox(app_config):
    """The account emails the app has sent in this test (forum/account_mail.py)."""
    return app_config["MAIL_TRANSPORT"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
