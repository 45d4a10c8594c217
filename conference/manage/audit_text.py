"""The audit log in words: each action code becomes a sentence in the reader's language.

``ACTIONS`` maps every action the application records to its name (for the filter menu)
and to a function that turns an event into an ``Entry``: a sentence, with the person or
object it is about linked when the reader may open that page, and the values it changed
("Capacity: 100 → 120"), each value in words (``audit_values``). Missing values are left
out. An action not listed here (one added later, say) still reads as words, never as a
bare code.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import escape

from conference.manage.audit_showcase import showcase_actions, sponsor_actions
from conference.manage.audit_values import (
    ACTOR_LABELS,
    account_text,
    change,
    fact,
    filters_text,
    humanise,
    link,
    local_clock,
    ltr,
    object_link,
    present,
    registration_link,
    track_name,
    value_text,
    words,
)
from conference.manage.audit_volunteers import volunteer_actions


@dataclass
class Entry:
    """One event in words: ``summary`` (a sentence) and ``lines`` (what it changed)."""

    summary: object
    lines: list = field(default_factory=list)


# --- One function per action ------------------------------------------------------------


def _registration(event, *, first=False):
    return registration_link((event.details or {}).get("registration_id"), first=first)


def _simple(message):
    """An action that needs no value: its sentence is always the same."""

    def describe(event):
        return Entry(escape(message))

    return describe


def _about_registration(message_of, *, first=False):
    def describe(event):
        return Entry(words(message_of(registration=_registration(event, first=first))))

    return describe


def _account(message_of):
    def describe(event):
        details = event.details or {}
        return Entry(
            words(message_of(user=account_text(details.get("user")))),
            present(fact(_("Role"), value_text("role", details.get("role")))),
        )

    return describe


def _role_changed(event):
    details = event.details or {}
    return Entry(
        words(_("Role of %(user)s changed", user=account_text(details.get("user")))),
        present(
            change(
                _("Role"),
                value_text("old", details.get("old")),
                value_text("new", details.get("new")),
            )
        ),
    )


def _password_set(event):
    details = event.details or {}
    if details.get("via") == "command line":
        return Entry(
            words(
                _(
                    "Password of %(user)s set from the command line",
                    user=account_text(details.get("user")),
                )
            )
        )
    return Entry(escape(_("Password set")))


def _minutes(message_of):
    def describe(event):
        minutes = (event.details or {}).get("minutes")
        if not isinstance(minutes, int):
            return Entry(escape(message_of(None)))
        return Entry(words(message_of(minutes)))

    return describe


def _slowed(minutes):
    if minutes is None:
        return _("Sign-in slowed down after wrong passwords")
    return ngettext(
        "Sign-in slowed down for %(num)s minute after wrong passwords",
        "Sign-in slowed down for %(num)s minutes after wrong passwords",
        minutes,
    )


def _step_closed(minutes):
    if minutes is None:
        return _("Code step closed after wrong codes")
    return ngettext(
        "Code step closed for %(num)s minute after wrong codes",
        "Code step closed for %(num)s minutes after wrong codes",
        minutes,
    )


def _code_failed(event):
    wrong = (event.details or {}).get("wrong_in_a_row")
    if not isinstance(wrong, int):
        return Entry(escape(_("Wrong authenticator code")))
    return Entry(
        escape(
            ngettext(
                "Wrong authenticator code (%(num)s in a row)",
                "Wrong authenticator codes (%(num)s in a row)",
                wrong,
            )
        )
    )


def _checkin_searched(event):
    details = event.details or {}
    shown = details.get("shown")
    if details.get("by") == "code":
        summary = escape(_("Check-in code scanned or typed"))
    else:
        summary = words(
            _("Check-in search for %(query)s", query=value_text("q", details.get("query")) or "")
        )
    lines = []
    if isinstance(shown, int):
        lines.append(
            escape(
                ngettext(
                    "%(num)s person shown",
                    "%(num)s people shown",
                    shown,
                )
            )
        )
    return Entry(summary, lines)


def _checkin_undo(event):
    return Entry(
        words(_("Check-in of %(registration)s taken back", registration=_registration(event)))
    )


def _listed(event):
    filters = (event.details or {}).get("filters") or {}
    return Entry(
        escape(_("Attendee list searched")),
        present(fact(_("Filters"), filters_text(filters))),
    )


def _exported(event):
    details = event.details or {}
    rows = details.get("rows")
    file_format = value_text("format", details.get("format")) or ""
    if isinstance(rows, int) and details.get("complete"):
        summary = ngettext(
            "Attendees exported as %(format)s: %(num)s row",
            "Attendees exported as %(format)s: %(num)s rows",
            rows,
            format=file_format,
        )
    elif isinstance(rows, int):
        summary = ngettext(
            "Attendee export as %(format)s stopped after %(num)s row",
            "Attendee export as %(format)s stopped after %(num)s rows",
            rows,
            format=file_format,
        )
    else:
        summary = _("Attendee export as %(format)s started", format=file_format)
    filters = details.get("filters")
    return Entry(
        words(summary),
        present(
            fact(_("Filters"), filters_text(filters) or escape(_("everyone")))
            if isinstance(filters, dict)
            else None,
            fact(_("Columns"), value_text("columns", details.get("columns"))),
        ),
    )


def _details_changed(event):
    details = event.details or {}
    return Entry(
        words(_("Details of %(registration)s changed", registration=_registration(event))),
        present(fact(_("Fields changed"), value_text("fields", details.get("fields")))),
    )


def _from_waitlist(event):
    details = event.details or {}
    capacity = details.get("capacity")
    lines = []
    if isinstance(capacity, int):
        lines.append(
            escape(
                ngettext(
                    "The track's capacity was raised to %(num)s seat",
                    "The track's capacity was raised to %(num)s seats",
                    capacity,
                )
            )
        )
    return Entry(
        words(
            _(
                "%(registration)s given a seat in %(track)s from the waiting list",
                registration=_registration(event, first=True),
                track=escape(track_name(details.get("track"))),
            )
        ),
        lines,
    )


def _erased(event):
    number = (event.details or {}).get("registration")
    return Entry(
        words(
            _(
                "%(registration)s erased",
                registration=registration_link(number, erased=True, first=True),
            )
        )
    )


def _capacity_changed(event):
    details = event.details or {}
    promoted = details.get("promoted")
    lines = present(
        change(
            _("Capacity"),
            value_text("capacity", details.get("previous")),
            value_text("capacity", details.get("capacity")),
        )
    )
    if isinstance(promoted, int) and promoted:
        lines.append(
            escape(
                ngettext(
                    "%(num)s person given a seat from the waiting list",
                    "%(num)s people given a seat from the waiting list",
                    promoted,
                )
            )
        )
    track = link(escape(track_name(details.get("track"))), "registration_staff.tracks")
    return Entry(words(_("Capacity of %(track)s changed", track=track)), lines)


def _bulk_email(event):
    details = event.details or {}
    recipients = details.get("recipients")
    if isinstance(recipients, int):
        text = escape(
            ngettext(
                "Email to attendees sent to %(num)s person",
                "Email to attendees sent to %(num)s people",
                recipients,
            )
        )
    else:
        text = escape(_("Email sent to attendees"))
    broadcast = details.get("broadcast")
    if isinstance(broadcast, int):
        text = link(text, "announcements.broadcast", broadcast_id=broadcast)
    filters = details.get("filters")
    return Entry(
        text,
        present(
            fact(_("Filters"), filters_text(filters) or escape(_("everyone")))
            if isinstance(filters, dict)
            else None,
            fact(_("Essential message"), value_text("essential", details.get("essential"))),
        ),
    )


def _imported(event):
    details = event.details or {}
    registered = details.get("registered")
    name = ltr(details["file_name"]) if details.get("file_name") else escape(_("a file"))
    if isinstance(registered, int):
        summary = ngettext(
            "%(num)s registration imported from %(file)s",
            "%(num)s registrations imported from %(file)s",
            registered,
            file=name,
        )
    else:
        summary = _("Registrations imported from %(file)s", file=name)
    counts = [
        (_("Rows in the file"), details.get("rows")),
        (_("Of them on a waiting list"), details.get("waitlisted")),
        (_("Rows skipped"), details.get("skipped")),
    ]
    return Entry(
        words(summary),
        present(*(fact(label, ltr(n)) for label, n in counts if isinstance(n, int))),
    )


# Every action the application records: its name (for the filter menu) and its sentence.
ACTIONS = {
    "user.signed_in": (_l("Sign-in"), _simple(_l("Sign-in"))),
    "user.locked": (
        _l("Account locked after wrong passwords"),
        _simple(_l("Account locked after wrong passwords")),
    ),
    "user.created": (
        _l("Account created"),
        _account(lambda user: _("Account created for %(user)s", user=user)),
    ),
    "user.invited": (
        _l("Invitation sent"),
        _account(lambda user: _("Invitation sent to %(user)s", user=user)),
    ),
    "user.role_changed": (_l("Role changed"), _role_changed),
    "user.enabled": (
        _l("Account enabled"),
        _account(lambda user: _("Account of %(user)s enabled", user=user)),
    ),
    "user.disabled": (
        _l("Account disabled"),
        _account(lambda user: _("Account of %(user)s disabled", user=user)),
    ),
    "user.password_set": (_l("Password set"), _password_set),
    "user.two_factor_enabled": (
        _l("Two-factor sign-in turned on"),
        _simple(_l("Two-factor sign-in turned on")),
    ),
    "user.recovery_code_used": (_l("Recovery code used"), _simple(_l("Recovery code used"))),
    "user.signed_out_everywhere": (
        _l("Signed out on every device"),
        _simple(_l("Signed out on every device")),
    ),
    "user.session_ended": (
        _l("A session ended from the account page"),
        _simple(_l("A session ended from the account page")),
    ),
    "user.sign_in_slowed": (
        _l("Sign-in slowed down after wrong passwords"),
        _minutes(_slowed),
    ),
    "user.code_failed": (_l("Wrong authenticator code"), _code_failed),
    "user.code_step_closed": (_l("Code step closed after wrong codes"), _minutes(_step_closed)),
    "checkin.searched": (_l("Check-in search"), _checkin_searched),
    "checkin.undo": (_l("Check-in taken back"), _checkin_undo),
    "attendees.exported": (_l("Attendees exported"), _exported),
    "attendees.listed": (_l("Attendee list searched"), _listed),
    "attendee.viewed": (
        _l("Attendee's details viewed"),
        _about_registration(
            lambda registration: _("Details of %(registration)s viewed", registration=registration)
        ),
    ),
    "attendee.details_changed": (_l("Attendee's details changed"), _details_changed),
    "attendee.email_changed": (
        _l("Attendee's email address changed"),
        _about_registration(
            lambda registration: _(
                "Email address of %(registration)s changed", registration=registration
            )
        ),
    ),
    "attendee.cancelled": (
        _l("Registration cancelled by staff"),
        _about_registration(
            lambda registration: _(
                "%(registration)s cancelled by staff", registration=registration
            ),
            first=True,
        ),
    ),
    "attendee.confirmation_resent": (
        _l("Confirmation sent again"),
        _about_registration(
            lambda registration: _(
                "Confirmation sent again for %(registration)s", registration=registration
            )
        ),
    ),
    "registration.email_change_requested": (
        _l("New email address asked for"),
        _about_registration(
            lambda registration: _(
                "The attendee of %(registration)s asked to change their email address",
                registration=registration,
            )
        ),
    ),
    "registration.email_changed": (
        _l("New email address confirmed"),
        _about_registration(
            lambda registration: _(
                "The attendee of %(registration)s confirmed their new email address",
                registration=registration,
            )
        ),
    ),
    "registrations.imported": (_l("Registrations imported"), _imported),
    "attendee.confirmed_from_waitlist": (_l("Seat given from the waiting list"), _from_waitlist),
    "registration.erased": (_l("Registration erased"), _erased),
    "track.capacity_changed": (_l("Track capacity changed"), _capacity_changed),
    "bulk_email.sent": (_l("Email sent to attendees"), _bulk_email),
}
ACTIONS.update(volunteer_actions(Entry))
ACTIONS.update(showcase_actions(Entry))
ACTIONS.update(sponsor_actions(Entry))


def _unknown(event):
    """An action this module does not know: its code as words, and its details."""
    details = event.details or {}
    lines = [
        fact(humanise(name), object_link(name, value) or value_text(name, value))
        for name, value in details.items()
    ]
    return Entry(ltr(humanise(event.action)), present(*lines))


# --- What the page calls -----------------------------------------------------------------


def action_name(action):
    """The action's name for the filter menu, or its code as words."""
    known = ACTIONS.get(action)
    return str(known[0]) if known else humanise(action)


def describe(event):
    """``event`` in words, in the reader's language: an ``Entry``."""
    known = ACTIONS.get(event.action)
    entry = (known[1] if known else _unknown)(event)
    if (event.count or 1) > 1:
        entry.lines.insert(0, repeated(event))
    return entry


def repeated(event):
    """ "14 times between 09:02 and 11:40" for a row that stands for repeated views."""
    return words(
        ngettext(
            "%(num)s time between %(first)s and %(last)s",
            "%(num)s times between %(first)s and %(last)s",
            event.count,
            first=local_clock(event.at),
            last=local_clock(event.last_at or event.at),
        )
    )


def actor_name(event):
    """Who acted, in words, when it was not a staff member; else ``None``."""
    if event.actor_id is not None:
        return None
    label = ACTOR_LABELS.get(event.actor_email)
    return str(label) if label is not None else None
