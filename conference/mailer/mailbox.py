"""The development mailbox: mail kept as ``.eml`` files instead of being sent over SMTP.

With ``DEV_MAILBOX`` on (``make run`` sets it; production refuses it), ``mail.connect()``
returns a ``MailboxConnection`` instead of the SMTP one. The deliverer does not know the
difference: it claims, renders (minting private links, as for real mail) and records each
message as sent, and the "server" writes the message's bytes, exactly what SMTP would
have carried, to ``DEV_MAILBOX_DIR`` (``instance/mailbox/`` by default). The pages at
``/dev/mailbox`` (``mailer.mailbox_views``) read them back, newest first.
"""

import email
import email.policy
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import current_app
from flask_mail import Connection

# A stored message's name: the time it was written (nanoseconds), then a random part.
NAME = re.compile(r"^[0-9]{19,20}-[0-9a-f]{32}$")


def directory(app=None):
    """The folder that holds the development mailbox's messages."""
    app = app or current_app
    configured = app.config["DEV_MAILBOX_DIR"]
    return Path(configured) if configured else Path(app.instance_path) / "mailbox"


class MailboxHost:
    """What ``smtplib.SMTP`` is to ``flask_mail.Connection``: here, it writes files."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        """Store ``msg`` (bytes) as one ``.eml`` file; refuse no recipient (``{}``)."""
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(msg if isinstance(msg, bytes) else msg.encode("utf-8"))
        os.replace(partial, self.folder / f"{name}.eml")  # readers never see half a file
        return {}

    def quit(self):
        pass

    def close(self):
        pass


class MailboxConnection(Connection):
    """Flask-Mail's connection, delivering to the development mailbox.

    Unlike SMTP it ignores ``MAIL_SUPPRESS_SEND`` (on while testing): writing a local
    file is what this transport is for.
    """

    def __enter__(self):
        self.host = self.configure_host()
        self.num_emails = 0
        return self

    def configure_host(self):
        return MailboxHost(directory())


@dataclass
class Stored:
    """A message in the mailbox, as its list shows it."""

    name: str
    message: email.message.EmailMessage

    @property
    def to(self):
        return str(self.message.get("To", ""))

    @property
    def subject(self):
        return str(self.message.get("Subject", ""))

    @property
    def received_at(self):
        """When it was delivered to the mailbox (UTC)."""
        return datetime.fromtimestamp(int(self.name.split("-")[0]) / 1e9, UTC)

    @property
    def date(self):
        try:
            return parsedate_to_datetime(self.message["Date"])
        except (TypeError, ValueError):
            return None

    def body(self, subtype):
        """The ``text/<subtype>`` body as text, or ``None``."""
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else None

    def inline_images(self):
        """``{content id: (content type, bytes)}``: the images the HTML shows by ``cid:``."""
        found = {}
        for part in self.message.walk():
            content_id = str(part.get("Content-ID") or "").strip().strip("<>")
            if content_id and part.get_content_maintype() == "image":
                found[content_id] = (part.get_content_type(), part.get_payload(decode=True))
        return found

    def attachments(self):
        """``[(file name, content type, bytes)]``, in the message's order."""
        found = []
        for part in self.message.iter_attachments():
            filename = part.get_filename()
            if filename:
                found.append((filename, part.get_content_type(), part.get_payload(decode=True)))
        return found


def _names(folder):
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return []
    with entries:
        return [
            entry.name[:-4]
            for entry in entries
            if entry.name.endswith(".eml") and NAME.match(entry.name[:-4])
        ]


def count():
    """How many messages the mailbox holds (one directory listing)."""
    return len(_names(directory()))


def raw(name):
    """The stored bytes of the message called ``name`` (an ``.eml`` file), or ``None``."""
    if not NAME.match(name or ""):  # a name of ours, never a path
        return None
    try:
        return (directory() / f"{name}.eml").read_bytes()
    except FileNotFoundError:
        return None


def read(name):
    """The stored message called ``name``, or ``None``."""
    data = raw(name)
    if data is None:
        return None
    return Stored(name, email.message_from_bytes(data, policy=email.policy.default))


def messages():
    """Every stored message, newest first."""
    found = (read(name) for name in sorted(_names(directory()), reverse=True))
    return [stored for stored in found if stored is not None]
