"""Read-side lookups: a registration by its private link or address, places in line, and
the organizers' filter (one filter, used by the list, exports and bulk email).

Every filter has an index behind it, and lists page by id (keyset), so pages stay fast
at 100,000 registrations. Nothing here writes.
"""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.content.models import Track
from conference.extensions import db
from conference.pager import keyset_window
from conference.registration.models import (
    ManageToken,
    Place,
    PlaceStatus,
    Registration,
    RegistrationStatus,
)
from conference.text import clean_text, escape_like, fold
from conference.tokens import token_hash

STATUSES = ("confirmed", "waitlisted", "cancelled")


# ---------------------------------------------------------------------------------------
# One registration, and its places in line


def find_by_token(token):
    """Return the registration a manage-link token opens, or ``None`` (wrong, old, erased)."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    return db.session.scalar(
        sa.select(Registration)
        .join(ManageToken)
        .where(ManageToken.token_hash == digest, Registration.status == RegistrationStatus.active)
    )


# Built once: building the statement and its loader options is a good part of the cost.
_PAGE_QUERY = (
    sa.select(Registration)
    .join(ManageToken)
    .where(
        ManageToken.token_hash == sa.bindparam("digest"),
        Registration.status == RegistrationStatus.active,
    )
    .options(
        so.joinedload(Registration.conference),
        so.joinedload(Registration.places).joinedload(Place.track),
    )
)


def find_page_by_token(token):
    """``find_by_token`` with what the private page shows (the conference, the places and
    their tracks) read in the same query."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalars(_PAGE_QUERY, {"digest": token_hash(token)})
    return found.unique().first()


def find_ended_by_token(token):
    """Return the cancelled or erased registration a manage-link token belonged to, or ``None``.

    Such a link opens nothing: its pages only say that the registration has ended, as the
    cancellation itself did (the second of two cancel clicks, say).
    """
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Registration)
        .join(ManageToken)
        .where(
            ManageToken.token_hash == token_hash(token),
            Registration.status != RegistrationStatus.active,
        )
    )


def find_active_registration(conference, email):
    """Return the active registration of ``email`` for ``conference``, or ``None``."""
    return db.session.scalar(
        sa.select(Registration).filter_by(
            conference_id=conference.id, email=email, status=RegistrationStatus.active
        )
    )


def find_twin_or_active(conference, email, submission_id):
    """``(twin, active)``: the registration a form with ``submission_id`` made (a double
    click), and the active registration of ``email``; each ``None`` if there is none.

    Plain rows (``id``, ``email``, ``full_name``, ``language``, ``ics_sequence``, enough for
    the messages that answer them), in one query for both (each term an index lookup): a
    new registration, the common case, pays one round trip and gets no row, and a repeat
    builds no ORM object a new registration would not.
    """
    terms = [
        sa.and_(
            Registration.conference_id == conference.id,
            Registration.email == email,
            Registration.status == RegistrationStatus.active,
        )
    ]
    if submission_id:
        terms.append(Registration.submission_id == submission_id)
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.conference_id,
            Registration.submission_id,
            Registration.status,
            Registration.email,
            Registration.full_name,
            Registration.language,
            Registration.ics_sequence,
        ).where(sa.or_(*terms))
    )
    twin = active = None
    for row in rows:
        if submission_id and row.submission_id == submission_id:
            twin = row
        if (
            row.conference_id == conference.id
            and row.email == email
            and row.status == RegistrationStatus.active
        ):
            active = row
    return twin, active


def places_in_line(places):
    """Return ``{place id: 1-based position on its track's waiting list}`` in one query.

    ``places`` are waitlisted places (a registration's, say); each is counted among the
    waiting places of its track up to and including itself.
    """
    ids = [place.id for place in places]
    if not ids:
        return {}
    ahead = so.aliased(Place)
    return dict(
        db.session.execute(
            sa.select(Place.id, sa.func.count(ahead.id))
            .join(
                ahead,
                sa.and_(
                    ahead.track_id == Place.track_id,
                    ahead.status == PlaceStatus.waitlisted,
                    ahead.id <= Place.id,
                ),
            )
            .where(Place.id.in_(ids))
            .group_by(Place.id)
        ).all()
    )


# Lists count and number people only this far: beyond it a count would cost more than the
# page it describes (at 100,000 registrations, ten times more), and says little more.
COUNT_LIMIT = 1000


def waiting_positions(places, *, limit=COUNT_LIMIT):
    """Return ``{place id: 1-based position on its track's waiting list}`` for ``places``,
    ``(place id, track id)`` pairs of waitlisted places (a page of the attendee list's).

    Per track, those ahead of the first are counted, then the waiting ids from the first
    to the last are read from the index, at most ``limit`` of each (one query for the
    counts, one for the ids): a page costs the same at any size of the lists. A place
    further back than that, or no longer waiting, is left out (shown without its number).
    """
    by_track = defaultdict(list)
    for place_id, track_id in places:
        by_track[track_id].append(place_id)
    if not by_track:
        return {}
    waiting = Place.status == PlaceStatus.waitlisted
    bounds = {track_id: (min(ids), max(ids)) for track_id, ids in sorted(by_track.items())}

    def limited(*criteria):
        return (
            sa.select(Place.track_id, Place.id)
            .where(waiting, *criteria)
            .order_by(Place.id)
            .limit(limit)
            .subquery()
        )

    counts = db.session.execute(
        sa.select(
            *(
                sa.select(sa.func.count())
                .select_from(limited(Place.track_id == track_id, Place.id < first))
                .scalar_subquery()
                for track_id, (first, _last) in bounds.items()
            )
        )
    ).one()
    spans = defaultdict(list)
    for track_id, place_id in db.session.execute(
        sa.union_all(
            *(
                sa.select(limited(Place.track_id == track_id, Place.id.between(first, last)))
                for track_id, (first, last) in bounds.items()
            )
        )
    ):
        spans[track_id].append(place_id)
    positions = {}
    for track_id, ahead in zip(bounds, counts, strict=True):
        if ahead >= limit:
            continue  # far back in line: not numbered
        in_line = sorted(spans[track_id])
        positions.update(
            {place_id: ahead + number for number, place_id in enumerate(in_line, start=1)}
        )
    return {
        place_id: positions[place_id]
        for ids in by_track.values()
        for place_id in ids
        if place_id in positions
    }


# ---------------------------------------------------------------------------------------
# The organizers' filter


@dataclass(frozen=True)
class Filters:
    """What an organizer narrowed the list to; empty values mean "any"."""

    q: str = ""  # part of a name or email address, any script
    track: str = ""  # a track key
    status: str = ""  # confirmed | waitlisted | cancelled
    language: str = ""  # ar | en
    checked_in: str = ""  # yes | no

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if v}


def filtered(conference, filters):
    """Return a SELECT of ``conference``'s registrations matching ``filters`` (no order)."""
    query = sa.select(Registration).where(
        Registration.conference_id == conference.id,
        Registration.status != RegistrationStatus.erased,
    )
    if filters.status == "cancelled":
        query = query.where(Registration.status == RegistrationStatus.cancelled)
    else:
        query = query.where(Registration.status == RegistrationStatus.active)
    place_filter = []
    if filters.track:
        place_filter.append(
            Place.track_id
            == sa.select(Track.id)
            .where(Track.conference_id == conference.id, Track.key == filters.track)
            .scalar_subquery()
        )
    if filters.status in ("confirmed", "waitlisted"):
        place_filter.append(Place.status == PlaceStatus(filters.status))
    if place_filter:
        query = query.where(
            sa.exists().where(Place.registration_id == Registration.id, *place_filter)
        )
    if filters.language in ("ar", "en"):
        query = query.where(Registration.language == filters.language)
    if filters.checked_in == "yes":
        query = query.where(Registration.checked_in_at.is_not(None))
    elif filters.checked_in == "no":
        query = query.where(Registration.checked_in_at.is_(None))
    text = (clean_text(filters.q) or "")[:100]  # no NUL or control characters reach SQL
    if text:
        # The name as folded (``text.fold``: «احمد» finds «أحمد», "jose" finds "José"),
        # a plain LIKE on a column the application keeps (PostgreSQL answers it from a
        # trigram index), or part of the address, which is stored lower-case.
        query = query.where(
            sa.or_(
                Registration.name_folded.like(f"%{escape_like(fold(text))}%", escape="\\"),
                Registration.email.like(f"%{escape_like(text.casefold())}%", escape="\\"),
            )
        )
    return query


# The list's orders: a key, descending with a leading "-". Each is a range of an index
# on (conference_id, status, ...): ``ix_registration_conference_status_id`` and ``_name``.
SORT_COLUMNS = {
    "registered": (Registration.id,),  # ids follow registration order
    "name": (Registration.full_name, Registration.id),
}
SORTS = ("-registered", "registered", "name", "-name")
DEFAULT_SORT = "-registered"


def sort_order(sort):
    """Return ``(columns, descending)`` of ``sort`` (one of ``SORTS``; else the default)."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    return SORT_COLUMNS[sort.lstrip("-")], sort.startswith("-")


def _bound(conference, columns, registration_id):
    """The sort values of the registration a page starts or ends at (``None``: not found)."""
    if registration_id is None:
        return None
    return db.session.execute(
        sa.select(*columns).where(
            Registration.id == registration_id, Registration.conference_id == conference.id
        )
    ).first()


def page(conference, filters, *, sort=DEFAULT_SORT, after_id=None, before_id=None, size=50):
    """Return one ``pager.Window`` of matching registrations in the order ``sort``.

    ``after_id``: the next page after that registration; ``before_id``: the previous page
    before it; an id that is not the conference's gives the first page.
    """
    columns, descending = sort_order(sort)
    after = _bound(conference, columns, after_id)
    before = None if after is not None else _bound(conference, columns, before_id)
    return keyset_window(
        filtered(conference, filters),
        columns,
        descending=descending,
        after=after,
        before=before,
        size=size,
    )


def count_matches(conference, filters, *, limit=COUNT_LIMIT):
    """Return how many registrations match ``filters``, counting no further than
    ``limit + 1``: a number above ``limit`` means "more than ``limit``".

    The same filter as the page's, under a LIMIT: a range of an index when no text is
    searched, and never more rows than that however many registrations there are.
    """
    matching = filtered(conference, filters).with_only_columns(Registration.id).limit(limit + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0
