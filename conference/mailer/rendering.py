"""Turning a template into an email, in the recipient's language.

Each message has three templates under ``templates/emails/<feature>/``:
``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``; the HTML ones extend
``emails/_layout.html``, which sets ``lang`` and ``dir`` on every wrapper, as webmail
clients drop them from ``<html>``. Rendering happens inside ``force_locale(language)``,
so it works the same in a request, a CLI command or a deliverer. In a right-to-left
language, links, addresses and phone numbers in both parts are isolated here, for every
feature's messages (``right_to_left_text``).
"""

import base64
import re
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from conference.config import LANGUAGES
from conference.i18n import direction
from conference.text import bdi, isolate, isolate_html, isolate_runs

RLM = "\u200f"
# What a private link becomes where organizers read a message (the outbox page, its .eml).
PRIVATE_LINK_REMOVED = _l("[private link removed]")
# A paragraph whose first strong character is not right-to-left.
_STARTS_LTR = re.compile(r"^[\s\d\W]*[A-Za-z0-9]", re.UNICODE)
_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Attachment:
    """A file to attach; the filename is made ASCII (non-ASCII names hurt delivery).

    With a ``content_id``, an image the HTML shows inline (``<img src="cid:...">``), not
    an attachment (``mailer.mime``).
    """

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None

    def as_json(self):
        return {
            "filename": ascii_filename(self.filename),
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
            **({"content_id": self.content_id} if self.content_id else {}),
        }


def ascii_filename(name):
    """Return ``name`` reduced to ASCII letters, digits, ``.``, ``-`` and ``_``."""
    name = re.split(r"[\\/]", name)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _ASCII_NAME.sub("-", stem).strip("-.") or "attachment"
    suffix = _ASCII_NAME.sub("", suffix)[:10]
    return f"{stem}.{suffix}" if suffix else stem


@dataclass
class Email:
    """A rendered message for one recipient, as an outbox renderer returns it."""

    kind: str
    recipient: str
    language: str
    subject: str
    text: str
    html: str
    recipient_name: str | None = None
    calendar: bytes | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def calendar_method(self):
        """The iCalendar METHOD of the invitation, which the MIME part must repeat."""
        if not self.calendar:
            return None
        found = re.search(rb"^METHOD:([A-Z-]+)\r?$", self.calendar, re.MULTILINE)
        if found is None:
            raise ValueError("an emailed calendar needs a METHOD (REQUEST, CANCEL, ...)")
        return found[1].decode("ascii")


def render_email(
    template, *, to, language, name=None, calendar=None, attachments=(), headers=None, **context
):
    """Render ``emails/<template>`` for ``to`` in ``language`` and return an ``Email``.

    :param template: e.g. ``"registration/confirmed"``.
    """
    if language not in LANGUAGES:
        language = "en"
    rtl = direction(language) == "rtl"
    with force_locale(language):
        context = {
            **context,
            "recipient_name": name,
            "email_language": language,
            "calendar_attached": calendar is not None,
        }
        subject = render_template(f"emails/{template}.subject.txt", **context)
        # A name keeps its own direction inside the sentence that greets it ("Hello Ada,"
        # in Arabic): a name in Latin letters is isolated in the text part; every name is
        # in <bdi> in the HTML.
        latin = bool(name) and _STARTS_LTR.match(name) is not None
        context["recipient_name"] = isolate(name) if rtl and latin else name
        text = render_template(f"emails/{template}.txt", **context)
        context["recipient_name"] = bdi(name) if name else name
        html = render_template(f"emails/{template}.html", **context)
    return Email(
        kind=template.replace("/", "."),
        recipient=to,
        recipient_name=name,
        language=language,
        subject=" ".join(subject.split()),
        text=right_to_left_text(text) if rtl else text,
        html=isolate_html(html) if rtl else html,
        calendar=calendar,
        attachments=list(attachments),
        headers=dict(headers or {}),
    )


def right_to_left_text(text):
    """The text part of a right-to-left message as mail readers must show it: each link,
    email address and phone number isolated (FSI … PDI: "+1 (313) 555-0100" does not
    turn into "0100-555 (313) 1+"), and each paragraph starting right to left.

    Every email's text part goes through here (``render_email``); so does its HTML, through
    ``text.isolate_html``, which wraps the same runs in ``<bdi dir="ltr">``.
    """
    return rtl_paragraphs(isolate_runs(text))


def rtl_paragraphs(text):
    """Start each line that opens with Latin letters or digits with a right-to-left mark.

    Plain-text mail readers take a paragraph's direction from its first strong
    character; an Arabic line that starts with "2022" or "For Syria" would run left to right.
    """
    return "\n".join(
        RLM + line if line.strip() and _STARTS_LTR.match(line) else line
        for line in text.split("\n")
    )
