"""Real Chromium (Playwright, headless) against the app served by a real HTTP server.

The app runs in werkzeug's threaded server on a free loopback port with its own temporary
SQLite database. Without /usr/bin/chromium the browser tests are skipped with the reason.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # keep the test output readable
        pass


# Module scope: only one Playwright driver runs at a time, even if other modules start their own.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        print(f"\nSKIP browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(tmp_path):
    from forum import create_app
    from forum.extensions import db
    from forum.models import ensure_default_categories
    from tests.support.mail import Outbox

    outbox = Outbox()
    app = create_app({
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'forum.db'}",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MODERATION_SCREENING": "off",
        "BASE_URL": "http://127.0.0.1",
        "MAIL_TRANSPORT": outbox,
    })
    with app.app_context():
        db.create_all()
        ensure_default_categories()
        db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app,
                              outbox=outbox)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def new_page(browser):
    """Pages in separate browser contexts (separate cookies: separate members)."""
    contexts = []

    def open_page(width: int = 1100, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    for context in contexts:
        context.close()


# For tests that drive the test's own `app` fixture (its database, its fake pipeline) rather
# than live_server's app.
@pytest.fixture
def app_server(app):
    """The test's app served by werkzeug's threaded server on a free loopback port."""

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page_for(browser, app_server):
    """``page_for(username)``: a new browser context signed in as that member (None: a
    visitor). Confirm dialogs are accepted (see ``accept_dialogs``); CSP complaints collect in
    ``page.csp_errors``."""
    contexts = []

    def open_as(username: str | None):
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.csp_errors = []
        page.on("console", lambda message: (
            page.csp_errors.append(message.text)
            if "Content Security Policy" in message.text else None))
        # Confirm dialogs are answered yes unless a test sets ``page.accept_dialogs = False``;
        # every question asked is kept in ``page.dialogs``.
        page.dialogs, page.accept_dialogs = [], True

        def answer(dialog):
            page.dialogs.append(dialog.message)
            dialog.accept() if page.accept_dialogs else dialog.dismiss()

        page.on("dialog", answer)
        page.set_default_timeout(10_000)
        if username is not None:
            page.goto(f"{app_server}/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)  # make_user's
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{app_server}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
