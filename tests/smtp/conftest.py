"""A real SMTP server (aiosmtpd on a free loopback port) wired into the app's mail settings."""

import pytest

from tests.smtp.server import Inbox, smtp_server


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def smtp(inbox):
    with smtp_server(inbox) as server:
        yield server


@pytest.fixture
def app_config(app_config, smtp):
    app_config.update(MAIL_SERVER=smtp.host, MAIL_PORT=smtp.port, MAIL_SENDER="digest@forum.test")
    return app_config
