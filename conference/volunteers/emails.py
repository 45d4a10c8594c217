"""Volunteers' emails: what to send (``Intent``s, queued by ``services`` in the
transaction of the change) and, below, how each kind is rendered at delivery.

Each message is in the volunteer's language. A snapshot holds what the message must show
as it was when queued: the sign-ups it is about with their SEQUENCE, so that an
invitation sent later still says what was decided then.
"""

from conference.mailer.outbox import Intent

KIND_PREFIX = "volunteers."

CONFIRMATION = "volunteers.confirmation"  # your shifts, one invitation each
AWAITING_GUARDIAN = "volunteers.awaiting_guardian"  # a minor: places held for the guardian
GUARDIAN_REQUEST = "volunteers.guardian_request"  # to the guardian: confirm, please
ALREADY_SIGNED_UP = "volunteers.already_signed_up"  # a repeat: here is your link
SHIFTS_ADDED = "volunteers.shifts_added"  # from their link: the new shifts' invitations
SHIFT_DROPPED = "volunteers.shift_dropped"  # a CANCEL, by them or a coordinator
SHIFT_CHANGED = "volunteers.shift_changed"  # a coordinator changed a shift: an update
REMINDER = "volunteers.reminder"  # the day before, scheduled
TEAM_MESSAGE = "volunteers.team_message"  # a coordinator's email to a shift's team
ERASED = "volunteers.erased"


def _signups(signups):
    return [{"id": s.id, "sequence": s.ics_sequence} for s in signups]


def _to(volunteer, kind, **snapshot):
    return Intent(
        kind=kind,
        recipient=volunteer.email,
        recipient_name=volunteer.full_name,
        language=volunteer.language,
        snapshot={"volunteer": volunteer.id, **snapshot},
    )


def confirmation(volunteer, signups):
    return _to(volunteer, CONFIRMATION, signups=_signups(signups))


def awaiting_guardian(volunteer):
    return _to(volunteer, AWAITING_GUARDIAN)


def guardian_request(volunteer):
    return Intent(
        kind=GUARDIAN_REQUEST,
        recipient=volunteer.guardian_email,
        recipient_name=volunteer.guardian_name,
        language=volunteer.language,
        snapshot={"volunteer": volunteer.id},
    )


def already_signed_up(volunteer):
    return _to(volunteer, ALREADY_SIGNED_UP)


def shifts_added(volunteer, signups):
    return _to(volunteer, SHIFTS_ADDED, signups=_signups(signups))


def shift_dropped(signup, *, by_staff=False, reason=None):
    return _to(
        signup.volunteer,
        SHIFT_DROPPED,
        signups=_signups([signup]),
        by_staff=by_staff,
        reason=reason,
    )


def shift_changed(signup, *, changes=()):
    return _to(signup.volunteer, SHIFT_CHANGED, signups=_signups([signup]), changes=list(changes))


def reminder(signup):
    return _to(signup.volunteer, REMINDER, signups=_signups([signup]))


def team_message(volunteer, *, shift_id, subject, body, sender):
    return _to(volunteer, TEAM_MESSAGE, shift=shift_id, subject=subject, body=body, sender=sender)


def erased(address, language):
    return Intent(kind=ERASED, recipient=address, language=language, snapshot={})
