"""The message on the wire: an outbox row and its rendered ``Email`` as MIME, for SMTP.

Also what the outbox page offers as an ``.eml`` download.
"""

import functools
from email.encoders import encode_base64
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.policy import EmailPolicy

from flask import current_app
from flask_mail import Message

from conference.mailer import headers
from conference.mailer.rendering import ascii_filename


class _SMTPPolicy(EmailPolicy):
    """``email.policy.SMTP`` that remembers the headers it parsed and folded: same bytes.

    Writing a message with ``policy.SMTP`` parses and refolds every header of every part
    each time it is read, which took twice as long as sending the message to a local
    server; most of those headers are the same in every message (``MIME-Version``,
    ``Content-Type: text/plain; charset="utf-8"``, the sender...). Both methods are pure
    functions of the header's name and value, so their results are kept (a bounded LRU).
    ``clone`` returns the policy itself when it changes nothing (the generator clones it
    for every part), so that all the parts share the one cache.
    """

    def clone(self, **changes):
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return super().clone(**changes)

    def header_fetch_parse(self, name, value):
        if isinstance(value, headers.FoldedHeader):  # written already, and once per message
            return value
        try:
            return self._parsed(name, value)
        except TypeError:  # an unhashable value: not worth remembering
            return super().header_fetch_parse(name, value)

    def fold_binary(self, name, value):
        if isinstance(value, headers.FoldedHeader):
            return super().fold_binary(name, value)
        try:
            return self._folded(name, value)
        except TypeError:
            return super().fold_binary(name, value)

    @functools.lru_cache(maxsize=2048)  # noqa: B019 (one instance, kept for the process)
    def _parsed(self, name, value):
        return super().header_fetch_parse(name, value)

    @functools.lru_cache(maxsize=2048)  # noqa: B019
    def _folded(self, name, value):
        return super().fold_binary(name, value)


SMTP_POLICY = _SMTPPolicy(linesep="\r\n")  # what email.policy.SMTP is: default, CRLF


class OutboxMail(Message):
    """Flask-Mail's message, written out with ``SMTP_POLICY`` (Flask-Mail: ``policy.SMTP``).

    Subject, From, To and Reply-To are written by ``mailer.headers`` (see there why not by
    Flask-Mail): each recipient, the sender and the reply address are kept as a
    ``(display name, address)`` pair, and Flask-Mail only ever sees the bare addresses,
    which are also what the SMTP envelope uses. Takes Flask-Mail's arguments: addresses as
    pairs or ``"Name <address>"`` text.
    """

    def __init__(self, *, recipients=(), sender=None, reply_to=None, **kwargs):
        sender = headers.mailbox(sender or current_app.extensions["mail"].default_sender)
        recipients = [headers.mailbox(recipient) for recipient in recipients]
        reply_to = headers.mailbox(reply_to) if reply_to else None
        super().__init__(
            recipients=[address for _, address in recipients], sender=sender[1], **kwargs
        )
        self.related = []  # inline images the HTML shows by ``cid:`` (``Attachment``s)
        if len(recipients) != 1:
            raise headers.HeaderValueError("an outbox message has exactly one recipient")
        self.structured_headers = [
            headers.address_header("From", *sender),
            headers.address_header("To", *recipients[0]),
            headers.address_header("Reply-To", *reply_to) if reply_to else None,
            headers.text_header("Subject", self.subject) if self.subject else None,
        ]

    def _message(self):
        message = super()._message()
        if self.related:
            _relate(message, self.related)
        for header in filter(None, self.structured_headers):
            if header.name in message:
                message.replace_header(header.name, header)  # in Flask-Mail's place
            else:
                message[header.name] = header
        return message

    def as_bytes(self):
        return self._message().as_bytes(policy=SMTP_POLICY)


def build_message(row, email):
    """Return the Flask-Mail message for an outbox row and its rendered ``email``.

    Layout: ``multipart/mixed`` › ``multipart/alternative`` › text, HTML and (last)
    ``text/calendar; method=…``; then ``invite.ics`` and any other attachment. An
    attachment with a ``content_id`` is an inline image of the HTML instead: the HTML
    part becomes ``multipart/related`` › HTML, then each such image (``cid:`` links work
    in mail clients that block ``data:`` images and remote ones).
    """
    config = current_app.config
    headers = {
        "Auto-Submitted": "auto-generated",
        "Content-Language": email.language,
        **(email.headers or {}),
    }
    message = OutboxMail(
        subject=email.subject,
        recipients=[(email.recipient_name or "", email.recipient)],
        body=email.text,
        sender=config["MAIL_DEFAULT_SENDER"],
        reply_to=config["MAIL_REPLY_TO"] or None,
        extra_headers=headers,
    )
    message.html = email.html  # before the calendar: the dict order is the part order
    if email.calendar:
        calendar = email.calendar.decode("utf-8")
        message.alts[f"calendar; method={email.calendar_method}"] = calendar
        message.attach("invite.ics", "application/ics", email.calendar)
    for attachment in email.attachments:
        if attachment.content_id and email.html:
            message.related.append(attachment)
        elif not attachment.content_id:
            message.attach(
                ascii_filename(attachment.filename), attachment.content_type, attachment.data
            )
    message.msgId = row.message_id
    return message


def attachment_names(email):
    """The file names the recipient sees, the invitation first (not inline images)."""
    names = ["invite.ics"] if email.calendar else []
    return names + [ascii_filename(a.filename) for a in email.attachments if not a.content_id]


def _relate(message, images):
    """Put the HTML part and ``images`` together in a ``multipart/related`` in its place."""
    for container in message.walk():
        if container.get_content_type() != "multipart/alternative":
            continue
        parts = container.get_payload()
        for index, part in enumerate(parts):
            if part.get_content_type() == "text/html":
                related = MIMEMultipart("related", type="text/html")
                related.attach(part)
                for image in images:
                    related.attach(_inline_part(image))
                parts[index] = related
                return


def _inline_part(image):
    part = MIMEBase(*image.content_type.split("/", 1))
    part.set_payload(image.data)
    encode_base64(part)
    part.add_header("Content-ID", f"<{image.content_id}>")
    part.add_header("Content-Disposition", "inline", filename=ascii_filename(image.filename))
    return part
