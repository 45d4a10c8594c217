"""Checking people in at the entrance, once each; and the desk's search.

Only an active registration with at least one confirmed seat can be checked in, once:
a second attempt is reported as a duplicate and leaves the first time as it was.

Nothing here reads ``request`` or calls ``flash``; functions that change data commit.
"""

import enum
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from conference import audit, database
from conference.checkin.queries import find_by_checkin_code, forget_counts
from conference.clock import utcnow
from conference.extensions import db
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from conference.text import escape_like, fold

SEARCH_LIMIT = 20


class CheckInError(Exception):
    """This person cannot be checked in. The message is safe to show to staff."""


class State(enum.Enum):
    """Where a registration stands at the entrance."""

    ready = "ready"  # active with a confirmed seat, not yet checked in
    checked_in = "checked_in"
    waitlisted = "waitlisted"  # active, but only on waiting lists
    cancelled = "cancelled"


@dataclass(frozen=True)
class Outcome:
    """The answer to a check-in: ``first`` is false for a duplicate."""

    registration: Registration
    first: bool


# ---------------------------------------------------------------------------------------
# State and checking in


def state_of(registration):
    """Return the ``State`` of ``registration`` at the entrance."""
    if not registration.is_active:
        return State.cancelled
    if registration.checked_in_at is not None:
        return State.checked_in
    if not registration.confirmed_places:
        return State.waitlisted
    return State.ready


def refusal(state):
    """Why someone in ``state`` cannot be checked in (``None`` if they can)."""
    if state == State.cancelled:
        return _l("This registration was cancelled.")
    if state == State.waitlisted:
        return _l("Only on the waiting list: no confirmed seat.")
    return None


def check_in(registration, *, by, now=None):
    """Mark ``registration`` as arrived, checked in by the staff user ``by``. Commits.

    One conditional UPDATE does it, so two staff tapping at once give one first check-in
    and one duplicate. Returns an ``Outcome``; a duplicate changes nothing.

    :raises CheckInError: cancelled, or no confirmed seat.
    """
    now = now or utcnow()
    by_id = by.id if by is not None else None
    database.begin_write()
    has_seat = (
        sa.select(Place.id)
        .where(Place.registration_id == Registration.id, Place.status == PlaceStatus.confirmed)
        .exists()
    )
    result = db.session.execute(
        sa.update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.active,
            Registration.checked_in_at.is_(None),
            has_seat,
        )
        .values(checked_in_at=now, checked_in_by_id=by_id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(registration)
    if result.rowcount == 1:
        forget_counts(registration.conference_id)
        return Outcome(registration, first=True)
    state = state_of(registration)
    if state == State.checked_in:
        return Outcome(registration, first=False)
    raise CheckInError(refusal(state))


def undo_check_in(registration, *, by):
    """Take back ``registration``'s check-in (a mistaken tap). Commits; audited.

    Returns whether there was a check-in to take back.
    """
    database.begin_write()
    db.session.refresh(registration)
    if registration.checked_in_at is None:
        db.session.commit()
        return False
    audit.record(
        "checkin.undo",
        actor=by,
        registration_id=registration.id,
        checked_in_at=registration.checked_in_at.isoformat(timespec="seconds"),
    )
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    db.session.commit()
    forget_counts(registration.conference_id)
    return True


# ---------------------------------------------------------------------------------------
# The desk's search


def search(conference, text, *, limit=SEARCH_LIMIT, actor=None):
    """Return up to ``limit`` registrations matching ``text`` and whether there are more.

    Matches part of the name, or the exact check-in code (a pasted check-in link works
    too). Never the email address: staff see it masked, and a search by its parts would
    unmask it one character at a time. Cancelled people are included, to be shown as
    such.

    Each search is one audit event (``checkin.searched``, committed): the name typed, or
    only the fact that a code was used, and how many people were shown. The page itself,
    opened without a search, records nothing.
    """
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())[:100]
    if not text:
        return [], False
    code = text.rsplit("/checkin/c/", 1)[-1] if "/checkin/c/" in text else text
    by_code = find_by_checkin_code(code)
    if by_code is not None and by_code.conference_id == conference.id:
        _record_search(actor, by="code", shown=1)
        return [by_code], False  # a typed or pasted code: one indexed look-up
    pattern = f"%{escape_like(fold(text))}%"
    query = (
        sa.select(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status.in_([RegistrationStatus.active, RegistrationStatus.cancelled]),
            Registration.name_folded.like(pattern, escape="\\"),  # see queries.filtered
        )
        .options(so.selectinload(Registration.places))
        .order_by(Registration.status, Registration.full_name, Registration.id)
        .limit(limit + 1)
    )
    rows = list(db.session.scalars(query))
    _record_search(actor, by="name", query=text, shown=min(len(rows), limit))
    return rows[:limit], len(rows) > limit


def look_alikes(registrations):
    """The ids of the ``registrations`` that staff could take for another of them.

    People look alike when their names are the same, ignoring case, accents and spacing:
    the masked address then looks the same too more often than not
    (``l•••@example.org``). The desk shows their city beside the registration number it
    shows for everyone, and nothing more.
    """
    groups = {}
    for registration in registrations:
        key = _name_key(registration.full_name)
        if key:
            groups.setdefault(key, set()).add(registration.id)
    return {id_ for ids in groups.values() if len(ids) > 1 for id_ in ids}


def _name_key(name):
    decomposed = unicodedata.normalize("NFKD", (name or "").casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _record_search(actor, **details):
    # A writer for just the event (SQLite: see database.begin_write), keeping what the
    # page goes on to show loaded.
    with database.keeping_loaded():
        database.begin_write()
        audit.record("checkin.searched", actor=actor, **details)
        db.session.commit()
