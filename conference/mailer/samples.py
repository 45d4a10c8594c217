"""The sample message ``flask mail test`` sends: both languages and an invitation."""

import uuid

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup

from conference.calendar import ics
from conference.calendar import services as calendar
from conference.config import LANGUAGES
from conference.content import services as content
from conference.extensions import db
from conference.i18n import direction, translate
from conference.mailer.intents import Intent, enqueue
from conference.mailer.renderers import RenderError, renderer
from conference.mailer.rendering import Email, render_email

KIND = "mailer.test"


def queue_test_message(address):
    """Queue the sample bilingual message with an invitation to ``address``; commit; return it.

    :raises ValueError: the address is not valid, or no conference is loaded yet.
    """
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{address!r} is not a valid email address: {exc}") from None
    if content.current_conference() is None:
        raise ValueError("Load the conference first: flask content load")
    intent = Intent(
        kind=KIND, recipient=address, language=LANGUAGES[0], snapshot={"uid": str(uuid.uuid4())}
    )
    row = enqueue(intent)
    db.session.commit()
    return row


@renderer(KIND)
def render_test_message(row, rendering):
    """The sample: both languages one after the other, and an invitation to the conference."""
    conference = content.current_conference()
    if conference is None:
        raise RenderError("no conference is loaded")
    address = row.recipient
    parts = [render_email("mailer/test", to=address, language=lang) for lang in LANGUAGES]
    subject = " / ".join(part.subject for part in parts)
    with force_locale(parts[0].language):
        html = render_template(
            "emails/mailer/bilingual.html",
            subject=subject,
            parts=[
                {"language": p.language, "direction": direction(p.language), "html": _body(p)}
                for p in parts
            ],
        )
    start, end = ics.conference_span(conference.starts_on, conference.ends_on)
    event = ics.CalendarEvent(
        summary=" / ".join(translate(conference.name, lang) for lang in LANGUAGES),
        start=start,
        end=end,
        description=translate(conference.tagline, "en"),
        location=translate(conference.venue_name, "en"),
        url=current_app.config["BASE_URL"] + "/",
    )
    invitation = ics.invitation(
        event,
        uid=row.snapshot["uid"],
        sequence=0,
        organizer=calendar.organizer(conference, confirmed_only=False),
        attendee=ics.Mailbox(address),
    )
    return Email(
        kind=KIND,
        recipient=address,
        language=parts[0].language,
        subject=subject,
        text="\n\n---\n\n".join(part.text for part in parts),
        html=html,
        calendar=invitation,
    )


def _body(part):
    """The message's content in ``part``'s language, without the layout around it."""
    with force_locale(part.language):
        return Markup(render_template("emails/mailer/_test_content.html", recipient_name=None))
