"""The SMTP transport against a real server (aiosmtpd on a loopback port)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from forum.mailer import MailServerUnavailable, MessageRejected, SmtpTransport
from tests.smtp.server import HOST, Inbox, accept_only, free_port, smtp_server

pytestmark = pytest.mark.smtp


def _message(to: str = "someone@example.test") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "forum@forum.test"
    message["To"] = to
    message["Subject"] = "Hello"
    message.set_content("Take care.")
    return message


def test_sends_several_messages_over_one_connection():
    with smtp_server() as server, SmtpTransport(server.host, server.port) as transport:
        transport.send(_message("a@example.test"))
        transport.send(_message("b@example.test"))
        assert server.inbox.recipients() == ["a@example.test", "b@example.test"]
        assert server.inbox.envelopes[0] == ("forum@forum.test", ["a@example.test"])


def test_logs_in_when_a_username_is_configured():
    with smtp_server(authenticator=accept_only("mailer", "s3cret"), auth_require_tls=False) as server:
        with SmtpTransport(server.host, server.port, username="mailer", password="s3cret") as transport:
            transport.send(_message())
        assert server.inbox.logins == ["mailer"]
        with pytest.raises(MailServerUnavailable, match="could not be used"):
            SmtpTransport(server.host, server.port, username="mailer", password="wrong",
                          timeout=2).open()


def test_never_falls_back_to_plain_text_when_tls_is_required():
    # This server offers no STARTTLS: the transport must refuse rather than send in the clear.
    with smtp_server() as server:
        transport = SmtpTransport(server.host, server.port, use_tls=True)
        with pytest.raises(MailServerUnavailable, match=r"(?i)starttls"):
            transport.send(_message())
        assert server.messages == []
        assert not transport.is_open


def test_nothing_listening_is_a_clear_unavailable_error():
    port = free_port()
    with pytest.raises(MailServerUnavailable, match=f"could not connect to the mail server at {HOST}:{port}"):
        SmtpTransport(HOST, port, timeout=5).send(_message())


def test_a_refused_message_does_not_break_the_next_one():
    with smtp_server(Inbox(refuse_on={1})) as server, SmtpTransport(server.host, server.port) as transport:
        with pytest.raises(MessageRejected, match="550"):
            transport.send(_message("first@example.test"))
        transport.send(_message("second@example.test"))
        assert server.inbox.recipients() == ["second@example.test"]


def test_a_try_again_later_answer_is_the_servers_state_not_the_messages():
    with smtp_server(Inbox(fail_on={1})) as server, SmtpTransport(server.host, server.port) as transport:
        with pytest.raises(MailServerUnavailable, match="451"):
            transport.send(_message("first@example.test"))
        transport.send(_message("second@example.test"))  # reconnects
        assert server.inbox.recipients() == ["second@example.test"]


def test_from_config_reads_the_mail_settings():
    transport = SmtpTransport.from_config({
        "MAIL_SERVER": "mail.example.test", "MAIL_PORT": "587", "MAIL_USE_TLS": True,
        "MAIL_USERNAME": "u", "MAIL_PASSWORD": "p",
    })
    assert (transport.host, transport.port, transport.use_tls, transport.username, transport.password) == (
        "mail.example.test", 587, True, "u", "p")
