"""iCalendar files: emailed invitations and cancellations, and the public feeds.

Pure: plain values in, ``bytes`` out; no app, no request, no database. The callers
(``calendar.services``, the mailer) turn content rows into ``CalendarEvent`` values.

Times are written as UTC (``DTSTART:20220318T163000Z``) or, while a time is not set, as
whole days (``DTSTART;VALUE=DATE:20220318`` with an exclusive ``DTEND``). Never a TZID:
a TZID needs a VTIMEZONE, and Outlook shifts events by an hour when that is missing or
in a form it misreads (see ``shared/research-ics-email.md`` §B.4).

Which METHOD where (RFC 5546):

- ``invitation``: REQUEST, one event, one ATTENDEE (the recipient), the registration's
  own random UID and its stored SEQUENCE.
- ``cancellation``: CANCEL, the same UID, a higher SEQUENCE, STATUS:CANCELLED.
- ``feed``: PUBLISH, any number of events with stable UIDs, never an ATTENDEE.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vDuration

PRODID = "-//For Syria//Conference calendar 1.0//EN"
# How often subscribed calendars fetch a feed again: REFRESH-INTERVAL (RFC 7986) and
# X-PUBLISHED-TTL, the older name Outlook and Apple read.
FEED_REFRESH = timedelta(hours=6)
# Fixed, so that feed UIDs come out the same in every process and after every reload.
FEED_NAMESPACE = uuid.UUID("6d1c3f0e-5b7a-4f5e-9a51-2f0c8e7d4b13")


@dataclass(frozen=True)
class Mailbox:
    """An email address and the name shown with it (organizer or attendee)."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar shows for one event, its texts in one language.

    ``start`` and ``end`` are timezone-aware datetimes (stored as UTC), or dates for an
    all-day event, where ``end`` is the day *after* the last day. A timed event may have
    no ``end``; an all-day event without one lasts one day.
    """

    summary: str
    start: datetime | date
    end: datetime | date | None = None
    description: str = ""
    location: str = ""
    url: str | None = None
    language: str | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.start, datetime):
            start = _utc(self.start)
            if self.end is not None and not isinstance(self.end, datetime):
                raise ValueError("a timed event needs a datetime end (or none)")
            end = None if self.end is None else _utc(self.end)
        else:
            start = self.start
            if self.end is not None and isinstance(self.end, datetime):
                raise ValueError("an all-day event needs a date end")
            end = self.end or start + timedelta(days=1)
        if end is not None and end < start:
            raise ValueError("an event cannot end before it starts")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def is_all_day(self):
        """Whether the event is written as whole days (DATE values)."""
        return not isinstance(self.start, datetime)


def to_utc(day, clock, timezone):
    """Return the UTC instant of the wall-clock time ``clock`` on ``day`` in ``timezone``."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def session_times(day, starts_at, ends_at, timezone):
    """Return a session's ``(start, end)``: UTC instants, or the whole day while unset.

    ``starts_at`` and ``ends_at`` are local times in ``timezone`` (either may be ``None``);
    without a start time the session is an all-day event on ``day``.
    """
    if starts_at is None:
        return day, day + timedelta(days=1)
    end = None if ends_at is None else to_utc(day, ends_at, timezone)
    return to_utc(day, starts_at, timezone), end


def conference_span(starts_on, ends_on):
    """Return the conference days as all-day ``(start, end)`` dates, ``end`` exclusive."""
    return starts_on, ends_on + timedelta(days=1)


def feed_uid(*parts):
    """Return the UID a public feed gives the event named by ``parts``, the same every time.

    A name-based UUID: stable across requests, processes and content reloads, and never
    equal to an invitation's random UID.
    """
    return str(uuid.uuid5(FEED_NAMESPACE, "/".join(parts)))


def invitation(event, *, uid, sequence, organizer, attendee, now=None):
    """Return an iMIP REQUEST that puts ``event`` in ``attendee``'s calendar.

    ``uid`` is the random UUID stored with the registration; ``sequence`` the stored
    revision (0 at first, raised on every change). ``now`` defaults to the current time.
    """
    _check_uid_and_sequence(uid, sequence)
    now = _stamp(now)
    component = _event(
        event,
        uid=uid,
        sequence=sequence,
        organizer=organizer,
        now=now,
        status="CONFIRMED",
        transparency="OPAQUE",
    )
    component.add("attendee", _attendee(attendee))
    return _calendar("REQUEST", [component])


def cancellation(event, *, uid, sequence, organizer, attendee, now=None):
    """Return an iMIP CANCEL that removes invitation ``uid`` from ``attendee``'s calendar.

    ``sequence`` must be higher than that of every REQUEST sent for ``uid``.
    """
    _check_uid_and_sequence(uid, sequence)
    if sequence < 1:
        raise ValueError("a cancellation raises the sequence of the invitation it cancels")
    now = _stamp(now)
    component = _event(
        event,
        uid=uid,
        sequence=sequence,
        organizer=organizer,
        now=now,
        status="CANCELLED",
        transparency="OPAQUE",
    )
    component.add("attendee", _attendee(attendee))
    return _calendar("CANCEL", [component])


def feed(events, *, name, organizer=None, now=None, busy=False):
    """Return a PUBLISH calendar named ``name`` holding ``events`` ({uid: event}).

    No ATTENDEE, as RFC 5546 requires of PUBLISH. Events are TRANSPARENT: a programme
    with parallel tracks must not mark subscribers busy all day. A feed of someone's own
    commitments (a volunteer's shifts) is ``busy``: its events are OPAQUE.
    """
    if not isinstance(events, Mapping):
        raise TypeError("events must map each UID to its CalendarEvent")
    now = _stamp(now)
    components = [
        _event(
            event,
            uid=uid,
            sequence=0,
            organizer=organizer,
            now=now,
            status="CONFIRMED",
            transparency="OPAQUE" if busy else "TRANSPARENT",
        )
        for uid, event in events.items()
    ]
    return _calendar("PUBLISH", components, name=name)


def _calendar(method, components, *, name=None):
    calendar = Calendar.new(method=method, prodid=PRODID, name=name)
    # Calendar.new adds a random calendar UID (RFC 7986): it would make every render differ.
    del calendar["UID"]
    if name is not None:
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()


def _event(event, *, uid, sequence, organizer, now, status, transparency):
    component = Event.new(
        uid=uid,
        sequence=sequence,
        stamp=now,
        start=event.start,
        end=event.end,
        summary=event.summary,
        description=event.description or None,
        location=event.location or None,
        url=event.url or None,
        categories=event.categories,
        organizer=_organizer(organizer) if organizer is not None else None,
        status=status,
        transparency=transparency,
    )
    if event.language:
        for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            if name in component:
                component[name].params["LANGUAGE"] = event.language
    return component


def _organizer(mailbox):
    return vCalAddress.new(mailbox.email, cn=mailbox.name or None)


def _attendee(mailbox):
    # NEEDS-ACTION: Outlook ignores ACCEPTED and asks anyway. RSVP=FALSE: we do not read
    # iMIP replies; changes go through the site.
    return vCalAddress.new(
        mailbox.email,
        cn=mailbox.name or None,
        cutype="INDIVIDUAL",
        role="REQ-PARTICIPANT",
        partstat="NEEDS-ACTION",
        rsvp=False,
    )


def _check_uid_and_sequence(uid, sequence):
    if not str(uid or "").strip():
        raise ValueError("an invitation needs the UID stored with the registration")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise ValueError("sequence is a whole number, 0 or more")


def _stamp(now):
    return datetime.now(UTC) if now is None else _utc(now)


def _utc(value):
    if value.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware (a naive time is ambiguous)")
    return value.astimezone(UTC)
