"""What the calendars say about the conference, built from the content tables.

Texts are in the current language (wrap a call in ``flask_babel.force_locale`` for
another), so these functions need an app context, but no request. What they build is
handed to the pure ``ics`` and ``links`` modules. The mailer builds its invitations from
``conference_event`` and ``organizer``.

Public feed UIDs are name-based (conference slug and session key), so a calendar that
imported a file or subscribed to a feed updates its events instead of duplicating them.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from conference.calendar import ics
from conference.i18n import current_language, translate


@dataclass(frozen=True)
class CalendarLinks:
    """Where 'add to calendar' leads for one event: our .ics file, Google, Outlook."""

    file: str
    google: str
    outlook: str


def find_track(conference, key):
    """Return the track of ``conference`` with ``key``, or ``None``."""
    return next((track for track in conference.tracks if track.key == key), None)


def find_session(conference, key):
    """Return the programme session of ``conference`` with ``key``, or ``None``."""
    return next((session for session in conference.sessions if session.key == key), None)


def conference_uid(conference):
    """Return the feed UID of the all-day conference event."""
    return ics.feed_uid(conference.slug, "conference")


def session_uid(conference, session):
    """Return the feed UID of a programme session, the same in every feed and file."""
    return ics.feed_uid(conference.slug, "session", session.key)


def organizer(conference, *, confirmed_only=True):
    """Return the organizers' mailbox (the content's ``contact_email``) for calendars.

    Public feeds leave it out while it is unconfirmed (``None``); an emailed invitation
    needs one whatever its state (``confirmed_only=False``).
    """
    if confirmed_only and not conference.is_confirmed("contact_email"):
        return None
    return ics.Mailbox(conference.contact_email, translate(conference.name))


def location(conference):
    """Return where the conference takes place, on one line."""
    parts = [translate(conference.venue_name)]
    if conference.is_confirmed("venue"):
        parts.append(translate(conference.venue_address))
    separator = "، " if current_language() == "ar" else ", "
    return separator.join(part for part in parts if part)


def conference_event(conference, *, page_url):
    """Return the conference as one all-day event over its days."""
    start, end = ics.conference_span(conference.starts_on, conference.ends_on)
    return ics.CalendarEvent(
        summary=translate(conference.name),
        start=start,
        end=end,
        description=_paragraphs(translate(conference.tagline), page_url),
        location=location(conference),
        url=page_url,
        language=current_language(),
    )


def session_event(conference, session, *, page_url):
    """Return a programme session as an event: UTC times, or its whole day while unset."""
    start, end = ics.session_times(
        session.day, session.starts_at, session.ends_at, conference.timezone
    )
    if session.track is None:
        track_name, track_line = None, _("For everyone")
    else:
        track_name = translate(session.track.name)
        track_line = _("Track: %(track)s", track=track_name)
    notes = []
    if session.is_sample:
        notes.append(_("Sample programme."))
    if session.starts_at is None:
        notes.append(_("Time to be announced"))
    elif not (conference.is_confirmed("timezone") and conference.is_confirmed("session_times")):
        notes.append(_("Times may still change."))
    url = f"{page_url}#session-{session.key}"
    return ics.CalendarEvent(
        summary=translate(session.title),
        start=start,
        end=end,
        description=_paragraphs(translate(session.description), track_line, " ".join(notes), url),
        location=location(conference),
        url=url,
        language=current_language(),
        categories=(track_name,) if track_name else (),
    )


def programme_feed(conference, *, page_url):
    """Return the .ics of the whole programme: the conference days and every session."""
    name = translate(conference.name)
    return _feed(conference, conference.sessions, name=name, page_url=page_url)


def track_feed(conference, track, *, page_url):
    """Return the .ics of one track: the conference days, its sessions and those for all."""
    sessions = [s for s in conference.sessions if s.track_id in (None, track.id)]
    name = f"{translate(conference.name)} — {translate(track.name)}"
    return _feed(conference, sessions, name=name, page_url=page_url)


def session_feed(conference, session, *, page_url):
    """Return the .ics of one programme session."""
    name = f"{translate(conference.name)} — {translate(session.title)}"
    event = session_event(conference, session, page_url=page_url)
    return ics.feed(
        {session_uid(conference, session): event}, name=name, organizer=organizer(conference)
    )


def _feed(conference, sessions, *, name, page_url):
    events = {conference_uid(conference): conference_event(conference, page_url=page_url)}
    for session in sessions:
        events[session_uid(conference, session)] = session_event(
            conference, session, page_url=page_url
        )
    return ics.feed(events, name=name, organizer=organizer(conference))


def _paragraphs(*texts):
    return "\n\n".join(text for text in texts if text)
