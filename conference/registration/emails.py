"""The emails a registration causes, each in the registrant's own language.

Each function returns a rendered ``Email`` for ``outbox.enqueue``. Those that confirm a
seat carry the calendar invitation (METHOD:REQUEST, the registration's UID, its current
SEQUENCE); those that take the last seat away carry its cancellation (METHOD:CANCEL).
"""

from flask_babel import force_locale

from conference.calendar import ics
from conference.calendar import services as calendar
from conference.mailer.rendering import render_email
from conference.registration import checkin
from conference.urls import external_url


def confirmation(registration, token):
    """The answer to a new registration: seats confirmed, places on waiting lists, the link."""
    has_seat = bool(registration.confirmed_places)
    return _render(
        "registration/confirmation",
        registration,
        token=token,
        calendar=_invitation(registration) if has_seat else None,
        attachments=[checkin.qr_attachment(registration)] if has_seat else [],
    )


def already_registered(registration, token):
    """To an address that registered again: it already has a registration; here is its link."""
    return _render("registration/already_registered", registration, token=token)


def manage_link(registration, token):
    """The private link, asked for again."""
    return _render("registration/manage_link", registration, token=token)


def promoted(registration, place, token):
    """A seat came free in ``place``'s track and is now theirs."""
    return _render(
        "registration/promoted",
        registration,
        token=token,
        promoted_place=place,
        calendar=_invitation(registration),
        attachments=[checkin.qr_attachment(registration)],
    )


def changed(registration, *, had_seat, token=None):
    """Their tracks changed: the new places, and the updated (or cancelled) invitation."""
    if registration.confirmed_places:
        invite = _invitation(registration)
    else:
        invite = _cancellation(registration) if had_seat else None
    return _render("registration/changed", registration, token=token, calendar=invite)


def cancelled(registration, *, had_seat):
    """Their registration is cancelled; the calendar event goes too."""
    invite = _cancellation(registration) if had_seat else None
    return _render("registration/cancelled", registration, calendar=invite)


def erased(registration, *, had_seat):
    """Their personal data is erased: the last message to this address."""
    invite = _cancellation(registration) if had_seat else None
    return _render("registration/erased", registration, calendar=invite)


def _render(template, registration, *, token=None, calendar=None, attachments=(), **context):
    from conference.registration.services import places_in_line

    waitlisted = registration.waitlisted_places
    positions = places_in_line(waitlisted)
    waiting = [(place, positions[place.id]) for place in waitlisted]
    return render_email(
        template,
        to=registration.email,
        name=registration.full_name,
        language=registration.language,
        calendar=calendar,
        attachments=attachments,
        checkin_qr_attached=any(a.filename == "checkin.png" for a in attachments),
        registration=registration,
        conference=registration.conference,
        confirmed=registration.confirmed_places,
        waiting=waiting,
        manage_url=external_url("registration.manage", token=token) if token else None,
        register_url=external_url("registration.register"),
        **context,
    )


def _event(registration):
    """The conference as this registrant's calendar shows it, in their language."""
    conference = registration.conference
    with force_locale(registration.language):
        return calendar.conference_event(conference, page_url=external_url("site.home"))


def _mailboxes(registration):
    return {
        "organizer": calendar.organizer(registration.conference, confirmed_only=False),
        "attendee": ics.Mailbox(registration.email, registration.full_name),
    }


def _invitation(registration):
    return ics.invitation(
        _event(registration),
        uid=registration.ics_uid,
        sequence=registration.ics_sequence,
        **_mailboxes(registration),
    )


def _cancellation(registration):
    return ics.cancellation(
        _event(registration),
        uid=registration.ics_uid,
        sequence=max(registration.ics_sequence, 1),
        **_mailboxes(registration),
    )
