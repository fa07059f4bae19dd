"""Account emails through a real SMTP server: the confirmation link, "you already have an
account", the reset link; a mail server that refuses doesn't change the answer."""

from __future__ import annotations

import pytest

from tests.smtp.server import Inbox
from tests.support.factories import PASSWORD, make_user
from tests.support.mail import link_in


@pytest.fixture
def app_config(app_config):
    app_config.update(MAIL_TRANSPORT=None, WTF_CSRF_ENABLED=False)
    return app_config


def register(client, username: str, email: str):
    return client.post("/register", data={"username": username, "email": email,
                                          "password": PASSWORD, "confirm": PASSWORD})


def test_a_new_member_gets_a_working_link_over_smtp(app, client, inbox: Inbox):
    assert register(client, "new_leaf", "new.leaf@example.test").status_code == 302
    [message] = inbox.messages
    assert message["To"] == "new.leaf@example.test"
    assert message["From"] == "digest@forum.test"
    assert "confirm" in message["Subject"].lower()
    link = link_in(message, "/verify/")
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302


@pytest.mark.both_databases
def test_a_known_address_gets_a_you_already_have_an_account_email(app, client, inbox: Inbox):
    make_user("old_oak")
    assert register(client, "another_name", "old_oak@example.test").status_code == 302
    [message] = inbox.messages
    assert "already have" in message["Subject"]
    assert "/reset" in message.get_content() and "/verify/" not in message.get_content()


def test_a_reset_link_over_smtp(app, client, inbox: Inbox):
    make_user("old_oak")
    assert client.post("/reset", data={"email": "old_oak@example.test"}).status_code == 302
    [message] = inbox.messages
    link = link_in(message, "/reset/")
    assert client.get(link).status_code == 200


def test_a_refusing_mail_server_does_not_change_the_answer(app, client, inbox: Inbox, caplog):
    inbox.refuse_on.add(1)
    response = register(client, "unlucky", "unlucky@example.test")
    assert response.status_code == 302 and response.location == "/check-email"
    assert inbox.messages == []
    assert "could not be sent" in caplog.text
