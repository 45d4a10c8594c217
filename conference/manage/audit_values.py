"""Values of audit events in words: tracks by name, statuses, roles, Yes/No, filters,
changes ("Capacity: 100 → 120"), and the objects events are about, linked when the reader
may open them. Everything returned is ``Markup``: values escaped, and addresses, numbers
and codes isolated (``<bdi dir="ltr">``) so that they read right inside Arabic sentences.
"""

from datetime import UTC

import sqlalchemy as sa
from flask import current_app, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from markupsafe import Markup, escape

from conference import audit as audit_trail
from conference.access import Role, may_open
from conference.accounts.forms import ROLE_LABELS
from conference.content.models import Conference, Track
from conference.extensions import db
from conference.i18n import current_language, format_clock, format_number, translate
from conference.registration.exports import COLUMNS

# --- Values in words -----------------------------------------------------------------------

FILTER_LABELS = {
    "q": _l("Name or email address"),
    "track": _l("Track"),
    "status": _l("Status"),
    "language": _l("Email language"),
    "checked_in": _l("Check-in"),
}

STATUS_WORDS = {
    "confirmed": _l("with a confirmed seat"),
    "waitlisted": _l("on the waiting list"),
    "cancelled": _l("cancelled"),
    "active": _l("active"),
}

LANGUAGE_WORDS = {"ar": _l("Arabic"), "en": _l("English")}

CHECKED_IN_WORDS = {"yes": _l("Checked in"), "no": _l("Not checked in")}

FIELD_LABELS = {
    "full_name": _l("Full name"),
    "email": _l("Email address"),
    "phone": _l("Phone number"),
    "city": _l("City"),
    "region": _l("State or region"),
    "language": _l("Email language"),
    "needs": _l("Accessibility or dietary needs"),
    "photo_consent": _l("Photo consent"),
}

ACTOR_LABELS = {
    audit_trail.SYSTEM: _l("The system"),
    audit_trail.CONTENT_FILE: _l("The content file"),
}


def ltr(value):
    """``value`` isolated, left to right: an address, a number or a code."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def link(text, endpoint, **values):
    """``text`` linked to ``endpoint`` when the reader may open it, else plain."""
    if may_open(endpoint):
        return Markup('<a href="{}">{}</a>').format(url_for(endpoint, **values), text)
    return Markup(escape(text))


def words(message):
    """A translated message with its values already in it, as ``Markup``.

    The values given to ``_``/``ngettext`` are escaped by the caller (``_say``); the message
    itself comes from our catalog, as in Jinja's own ``{% trans %}``.
    """
    return Markup(message)


def safe(**values):
    return {name: escape(value) for name, value in values.items()}


def comma():
    """The list separator of the reader's language: Arabic has its own comma."""
    return "، " if current_language() == "ar" else ", "


def semicolon():
    return "؛ " if current_language() == "ar" else "; "


def track_name(key):
    """The track's name in the reader's language (its bilingual name), else ``key``."""
    if "audit_track_names" not in g:
        rows = db.session.execute(
            sa.select(Track.key, Track.name)
            .join(Conference)
            .where(Conference.slug == current_app.config["CONFERENCE_SLUG"])
        )
        g.audit_track_names = dict(rows.all())
    name = g.audit_track_names.get(key)
    return translate(name) if name else str(key)


def role_name(value):
    try:
        return str(ROLE_LABELS[Role(value)])
    except ValueError:
        return str(value)


def value_text(name, value):
    """A stored detail value in words (escaped ``Markup``), or ``None`` to leave it out."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return escape(_("Yes") if value else _("No"))
    if name == "track" and isinstance(value, str):
        return escape(track_name(value))
    if name in ("role", "old", "new") and isinstance(value, str):
        return escape(role_name(value))
    if name == "status" and value in STATUS_WORDS:
        return escape(STATUS_WORDS[value])
    if name == "checked_in" and value in CHECKED_IN_WORDS:
        return escape(CHECKED_IN_WORDS[value])
    if name == "language" and value in LANGUAGE_WORDS:
        return escape(LANGUAGE_WORDS[value])
    if name == "q" and isinstance(value, str):
        return Markup('<bdi dir="auto">{}</bdi>').format(value)
    if name == "format" and isinstance(value, str):
        return ltr(value.upper())
    if name == "fields" and isinstance(value, list):
        return escape(comma().join(str(FIELD_LABELS.get(item, item)) for item in value))
    if name == "columns" and isinstance(value, list):
        return escape(
            comma().join(str(COLUMNS[key][0]) if key in COLUMNS else str(key) for key in value)
        )
    if name == "filters" and isinstance(value, dict):
        return filters_text(value)
    if isinstance(value, int | float):
        return ltr(format_number(value))
    if isinstance(value, list):
        parts = [value_text(name, item) for item in value]
        return Markup(comma()).join(part for part in parts if part is not None) or None
    if isinstance(value, dict):
        parts = [fact(humanise(key), value_text(key, item)) for key, item in value.items()]
        return Markup(semicolon()).join(part for part in parts if part is not None) or None
    if "@" in str(value) or str(value).isascii():
        return ltr(value)
    return escape(value)


def filters_text(filters):
    """An attendee list's filters in words: "Track: Arts; Status: on the waiting list"."""
    parts = [
        fact(FILTER_LABELS.get(name, humanise(name)), value_text(name, value))
        for name, value in filters.items()
    ]
    return Markup(semicolon()).join(part for part in parts if part is not None) or None


def humanise(code):
    """A code as words: "registrations.imported" → "Registrations imported"."""
    text = str(code).replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def fact(label, value):
    """ "Label: value", or ``None`` when there is no value to show."""
    if value is None:
        return None
    return words(_("%(label)s: %(value)s", **safe(label=label, value=value)))


def change(label, before, after):
    """ "Label: before → after" (the arrow follows the reading direction)."""
    if before is None:
        return fact(label, after)
    if after is None:
        return None
    return words(
        _("%(label)s: %(before)s → %(after)s", **safe(label=label, before=before, after=after))
    )


def present(*lines):
    return [line for line in lines if line is not None]


# --- The objects an event is about ------------------------------------------------------


def object_link(name, value):
    """A detail that names an object (a registration, an outbox message, a bulk email) as
    a link to its page when the reader may open it; ``None`` for any other detail."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if name in ("registration_id", "registration"):
        return registration_link(value)
    if name in ("message_id", "message"):
        return link(
            words(_("message %(number)s", number=ltr(value))), "outbox.message", message_id=value
        )
    if name in ("broadcast_id", "broadcast"):
        return link(
            words(_("bulk email %(number)s", number=ltr(value))),
            "announcements.broadcast",
            broadcast_id=value,
        )
    return None


def registration_link(registration_id, *, erased=False, first=False):
    """ "registration 123" ("Registration 123" ``first`` in a sentence), linked to the
    attendee's page when the reader may open it."""
    if first:
        text = words(_("Registration %(number)s", number=ltr(registration_id)))
    else:
        text = words(_("registration %(number)s", number=ltr(registration_id)))
    if erased or not isinstance(registration_id, int):
        return text
    return link(text, "registration_staff.attendee", registration_id=registration_id)


def account_text(email):
    return ltr(email) if email else escape(_("an account"))


def local_clock(moment):
    """A stored UTC time as its clock time in the conference's zone, in ``<time>``."""
    local = to_user_timezone(moment.replace(tzinfo=UTC))
    return Markup('<time datetime="{}Z">{}</time>').format(
        moment.isoformat(timespec="seconds"), format_clock(local.time())
    )
