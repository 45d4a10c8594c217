"""Calendar files of volunteers' shifts: an emailed invitation per sign-up, its update
and cancellation, and the volunteer's own subscription feed.

Built with the pure ``calendar.ics`` builders. Every sign-up has a random UID
(``ShiftSignup.ics_uid``, no personal data), written with the site's mail domain
(``<uuid>@forsyria.example``), and a SEQUENCE that rises with each change, so a
calendar that received the REQUEST updates or removes that one event, never another's.
Times are UTC (``calendar.ics`` writes no TZID, see there why).

The personal feed (METHOD:PUBLISH) holds only its owner's current shifts, without
ATTENDEE, and marks them busy. Its events have UIDs of their own, derived from the
sign-up's: a calendar that got the invitation and also subscribes to the feed keeps two
events in two calendars instead of one calendar moving the other's event.
"""

from datetime import UTC

from flask_babel import force_locale
from flask_babel import gettext as _

from conference.calendar import ics
from conference.calendar import services as calendar
from conference.i18n import translate
from conference.mailer.intents import message_id_domain


def uid(signup):
    """The UID of ``signup``'s invitation: its random UUID at the site's mail domain."""
    return f"{signup.ics_uid}@{message_id_domain()}"


def feed_uid(signup):
    """The UID of ``signup``'s event in the personal feed (stable, and not ``uid``)."""
    return ics.feed_uid("volunteer-shift", signup.ics_uid)


def needs(shift):
    """What ``shift`` asks of its volunteers, in words of the current language."""
    role = shift.role
    found = []
    spoken = set(role.languages or ())
    if spoken == {"ar", "en"}:
        found.append(_("Speaks Arabic and English"))
    elif spoken == {"ar"}:
        found.append(_("Speaks Arabic"))
    elif spoken == {"en"}:
        found.append(_("Speaks English"))
    if role.adults_only:
        found.append(_("Adults only (18 or over)"))
    if role.skill:
        found.append(translate(role.skill))
    if shift.language_need == "ar":
        found.append(_("At least one Arabic speaker on this shift"))
    elif shift.language_need == "en":
        found.append(_("At least one English speaker on this shift"))
    return found


def shift_event(shift, language):
    """``shift`` as a calendar shows it, its texts in ``language``."""
    conference = shift.conference
    with force_locale(language):
        role = translate(shift.role.name, language)
        description = [translate(conference.name, language), translate(shift.role.description)]
        wanted = needs(shift)
        if wanted:
            description.append(_("What this shift needs: %(needs)s", needs=", ".join(wanted)))
        return ics.CalendarEvent(
            summary=role,
            start=shift.starts_at.replace(tzinfo=UTC),
            end=shift.ends_at.replace(tzinfo=UTC),
            description="\n\n".join(part for part in description if part),
            location=translate(shift.place, language),
            language=language,
        )


def _mailboxes(shift, address, name):
    return {
        "organizer": calendar.organizer(shift.conference, confirmed_only=False),
        "attendee": ics.Mailbox(address, name or ""),
    }


def invitation(signup, *, sequence, address, name, language):
    """The REQUEST that puts (or updates) ``signup``'s shift in the volunteer's calendar."""
    shift = signup.shift
    return ics.invitation(
        shift_event(shift, language),
        uid=uid(signup),
        sequence=sequence,
        **_mailboxes(shift, address, name),
    )


def cancellation(signup, *, sequence, address, name, language):
    """The CANCEL that takes ``signup``'s shift out of the volunteer's calendar."""
    shift = signup.shift
    return ics.cancellation(
        shift_event(shift, language),
        uid=uid(signup),
        sequence=max(sequence, 1),
        **_mailboxes(shift, address, name),
    )


def personal_feed(volunteer):
    """The volunteer's calendar feed: their current shifts, in their language, busy."""
    conference = volunteer.conference
    language = volunteer.language
    events = {
        feed_uid(signup): shift_event(signup.shift, language)
        for signup in volunteer.current_signups
    }
    with force_locale(language):
        name = _("%(conference)s: my volunteer shifts", conference=translate(conference.name))
    return ics.feed(
        events,
        name=name,
        organizer=calendar.organizer(conference),
        busy=True,
    )
