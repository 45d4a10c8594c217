"""A real SMTP server on loopback (aiosmtpd), which can be told to misbehave."""

import asyncio
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from conference.mailer import rendering


class Mailbox:
    """What the server received, and how it should answer next."""

    def __init__(self):
        self.envelopes = []
        self.temporary_failures = 0  # answer 451 to this many DATA commands
        self.refused = set()  # answer 550 to RCPT TO for these addresses
        self.delay = 0.0  # seconds to wait before answering DATA

    @property
    def messages(self):
        return [
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in self.envelopes
        ]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        self.envelopes.append(envelope)
        return "250 2.0.0 OK queued"


class SMTPServer:
    """An aiosmtpd server on a fixed free loopback port that can be stopped and started."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = _free_port()  # aiosmtpd cannot bind port 0 (aio-libs/aiosmtpd#276)
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def app_config(self):
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_SUPPRESS_SEND": False,  # Flask-Mail suppresses in TESTING unless told not to
            "MAIL_TIMEOUT": 2,
            "MAIL_DEFAULT_SENDER": "For Syria <organizers@forsyria.example>",
        }


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A running SMTP server; ``smtp_server.mailbox`` holds what it received."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server():
    """An SMTP server that is down until the test calls ``start()``."""
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app whose mail goes to ``smtp_server``, inside an app context."""
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        yield app


@pytest.fixture
def make_email():
    """Return a function that renders the sample message for a recipient."""

    def _make_email(to="ada@example.org", *, language="en", name="Ada Lovelace", calendar=None):
        return rendering.render_email(
            "mailer/test", to=to, language=language, name=name, calendar=calendar
        )

    return _make_email
