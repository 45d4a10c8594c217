"""The announcement emails: a recipient's copy, the preview, and the test to oneself.

The deliverer renders the messages: once per language for each batch it sends; each
recipient's copy differs only in its unsubscribe link, made when the copy is rendered
(``unsubscribe``). Both renderers are registered with the outbox when this module is
imported (``announcements.init_app``).
"""

import dataclasses
import re
import secrets
from types import SimpleNamespace

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from conference.announcements.models import Broadcast
from conference.announcements.queries import recipient_language
from conference.announcements.unsubscribe import (
    sample_unsubscribe_url,
    serializer,
    unsubscribe_token,
    unsubscribe_url,
)
from conference.config import LANGUAGES
from conference.extensions import db
from conference.i18n import direction
from conference.mailer import outbox
from conference.mailer.rendering import Email, render_email
from conference.text import isolate, isolate_html, ltr_runs

TEMPLATE = "announcements/announcement"
KIND = "broadcast.announcement"
TEST_KIND = "broadcast.test"


def render_message(broadcast, language, *, unsubscribe_url=None, to="", name=None):
    """Render ``broadcast`` in ``language`` as its recipients get it; return an ``Email``."""
    if broadcast.is_essential:
        unsubscribe_url = None
    headers = {"Precedence": "bulk"}
    if unsubscribe_url:
        # RFC 8058: mail clients offer "unsubscribe" and POST to the link themselves.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return render_email(
        TEMPLATE,
        to=to,
        name=name,
        language=language,
        headers=headers,
        **_context(broadcast, language, unsubscribe_url),
    )


def _context(broadcast, language, unsubscribe_url):
    body = broadcast.body.get(language, "")
    return {
        "subject": broadcast.subject.get(language, ""),
        # In right-to-left messages, render_email isolates its links, addresses and phone
        # numbers (FSI … PDI), as in every other email.
        "body_text": body,
        "paragraphs": body_paragraphs(body),
        "unsubscribe_url": None if broadcast.is_essential else unsubscribe_url,
        "is_essential": broadcast.is_essential,
    }


def preview(broadcast, language):
    """The message in ``language`` exactly as a recipient gets it, with a sample link."""
    return render_message(broadcast, language, unsubscribe_url=sample_unsubscribe_url())


_URL = re.compile(r"https?://", re.IGNORECASE)


def body_paragraphs(text):
    """Return an organizer's plain text as HTML paragraphs (``Markup``).

    Everything is escaped; a blank line starts a paragraph, a line break stays a line
    break, ``http(s)://`` addresses become links, and links, email addresses and phone
    numbers read left to right inside either language (``text.ltr_runs``).
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n\s*", text):
        if block.strip():
            lines = [_linkify(line.rstrip()) for line in block.split("\n")]
            paragraphs.append(Markup("<br>\n").join(lines))
    return paragraphs


def _linkify(line):
    """One line as HTML: links become links, and every link, email address and phone
    number is a left-to-right run (``dir="ltr"``), readable inside Arabic text."""
    html = Markup("")
    for piece, is_run in ltr_runs(line):
        if not is_run:
            html += escape(piece)
        elif _URL.match(piece):
            html += Markup('<a href="{0}" dir="ltr" style="color:#0b5d45;">{0}</a>').format(piece)
        else:
            html += Markup('<span dir="ltr">{}</span>').format(piece)
    return html


# ---------------------------------------------------------------------------------------
# A test to oneself


@outbox.renderer(TEST_KIND)
def _render_test(row, rendering):
    snapshot = row.snapshot
    draft = SimpleNamespace(
        subject=snapshot["subject"], body=snapshot["body"], is_essential=snapshot["essential"]
    )
    return bilingual_message(draft, to=row.recipient, name=row.recipient_name)


def bilingual_message(broadcast, *, to, name=None):
    """The test of ``broadcast``: both languages, one after the other, with a sample link."""
    url = sample_unsubscribe_url()
    parts = [render_message(broadcast, lang, unsubscribe_url=url, to=to) for lang in LANGUAGES]
    subject = _("Test: %(subject)s", subject=" / ".join(part.subject for part in parts))
    with force_locale(LANGUAGES[0]):
        html = render_template(
            "emails/mailer/bilingual.html",
            subject=subject,
            parts=[
                {
                    "language": lang,
                    "direction": direction(lang),
                    "html": _content_html(broadcast, lang, url),
                }
                for lang in LANGUAGES
            ],
        )
    return Email(
        kind=TEST_KIND,
        recipient=to,
        recipient_name=name or None,
        language=parts[0].language,
        subject=subject[:300],
        text="\n\n---\n\n".join(part.text for part in parts),
        html=html,
    )


def _content_html(broadcast, language, unsubscribe_url):
    """The message's content in ``language``, without the layout around it (isolated in a
    right-to-left language, as ``render_email`` does for whole messages)."""
    with force_locale(language):
        html = Markup(
            render_template(
                "emails/announcements/_content.html",
                **_context(broadcast, language, unsubscribe_url),
            )
        )
    return isolate_html(html) if direction(language) == "rtl" else html


# ---------------------------------------------------------------------------------------
# Each recipient's copy


@outbox.renderer(KIND)
def _render_announcement(row, rendering):
    """One recipient's copy; the broadcast is rendered once per delivery batch."""
    messages = rendering.cache.get((KIND, row.broadcast_id))
    if messages is None:
        broadcast = db.session.get(Broadcast, row.broadcast_id or 0)
        if broadcast is None:
            raise outbox.RenderError("its bulk email no longer exists")
        messages = rendering.cache[(KIND, row.broadcast_id)] = _Messages(broadcast)
    return messages.for_recipient(row, display=rendering.display)


class _Messages:
    """A broadcast rendered once per language; each recipient's copy swaps in their link.

    Rendering three templates per person would cost more than everything else together.
    The unsubscribe link is rendered as a random placeholder made of letters and digits
    only, which HTML escaping leaves alone, and replaced for each person.
    """

    def __init__(self, broadcast):
        self.essential = broadcast.is_essential
        self.placeholder = "unsubscribe" + secrets.token_hex(16)
        url = None if self.essential else self.placeholder
        self.rendered = {
            lang: render_message(broadcast, lang, unsubscribe_url=url) for lang in LANGUAGES
        }
        self.link = unsubscribe_url(self.placeholder)
        self.sign = serializer().dumps  # one serializer: it derives its key once

    def for_recipient(self, row, *, display=False):
        """``row``'s copy (an outbox row); for display, with the sample unsubscribe link."""
        email = self.rendered[recipient_language(row.language)]
        if self.essential:
            return dataclasses.replace(
                email, recipient=row.recipient, recipient_name=row.recipient_name
            )
        token = unsubscribe_token(0) if display else self.sign(row.registration_id)
        url = self.link.replace(self.placeholder, token)
        return dataclasses.replace(
            email,
            recipient=row.recipient,
            recipient_name=row.recipient_name,
            # The placeholder is no link, so render_email left it as it was: the link
            # is isolated here, as every link in a right-to-left text part is.
            text=email.text.replace(
                self.placeholder, isolate(url) if direction(email.language) == "rtl" else url
            ),
            html=email.html.replace(self.placeholder, str(escape(url))),
            headers={k: v.replace(self.placeholder, url) for k, v in email.headers.items()},
        )
