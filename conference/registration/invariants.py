"""The rules of seats, waiting lists and invitations that the database cannot enforce.

``check`` reads the whole state and returns every broken rule, naming the rows, so
that ``flask check`` (after an incident, a restore or a hand-made fix) and the race
tests can ask for it. The rules:

* seats: a track's ``seats_taken`` equals its confirmed places, and never exceeds its
  capacity; its ``places_waiting`` equals its waitlisted places;
* waiting list: nobody waits on a track with a free seat; and nobody was seated past
  someone still waiting who arrived earlier (a confirmed place with a higher id than a
  waiting place on the same track), unless an organizer gave that seat ahead of the line
  (an ``attendee.confirmed_from_waitlist`` audit event for that registration and track);
* places: every active registration has at least one place, and a cancelled or erased
  one has none;
* invitation: every active registration with a confirmed place has a calendar UID and
  an outbox message that carries the invitation (METHOD:REQUEST): one whose
  idempotency key starts with ``registration:<id>:`` and whose kind is a confirmation,
  a promotion or a change. Only keys and kinds are read, not the messages' contents.

Features above registration add their own rules with ``install_check`` (volunteers'
shifts do); ``check_all`` runs them all, as ``flask check`` does.
"""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from conference.audit import AuditEvent
from conference.content.models import Track
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration.models import (
    Place,
    PlaceStatus,
    Registration,
    RegistrationStatus,
)

# The kinds of message that carry the invitation when the person has a seat.
INVITING_KINDS = ("registration.confirmation", "registration.promoted", "registration.changed")


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``rule`` names it, ``detail`` names the rows."""

    rule: str
    detail: str

    def __str__(self):
        return f"{self.rule}: {self.detail}"


def check(conference=None):
    """Return the broken rules, as ``Problem``s (empty when all hold). Reads only.

    ``conference`` limits the check to one conference; by default, all of them.
    """
    tracks = list(
        db.session.scalars(
            sa.select(Track)
            .where(*([Track.conference_id == conference.id] if conference else []))
            .order_by(Track.id)
        )
    )
    registration_filter = [Registration.conference_id == conference.id] if conference else []
    places = db.session.execute(
        sa.select(
            Place.id, Place.track_id, Place.registration_id, Place.status, Registration.status
        )
        .join(Registration, Registration.id == Place.registration_id)
        .where(*registration_filter)
        .order_by(Place.id)
    ).all()
    problems = []
    problems += _seats_and_queues(tracks, places)
    problems += _places(places, registration_filter)
    problems += _invitations(registration_filter)
    return problems


def install_check(app, function):
    """Let a feature above registration add its rules to ``flask check``.

    ``function(conference=None)`` returns its broken rules as ``Problem``s, reading only;
    registration never imports the features that install one.
    """
    app.extensions.setdefault("invariants.checks", []).append(function)


def check_all(conference=None):
    """Registration's broken rules, then those of every installed check (``install_check``)."""
    problems = check(conference)
    for function in current_app.extensions.get("invariants.checks", []):
        problems += function(conference)
    return problems


def _seats_and_queues(tracks, places):
    by_track = defaultdict(list)
    for place in places:
        by_track[place.track_id].append(place)
    jumped_by_organizer = _confirmed_by_organizers()
    problems = []
    for track in tracks:
        confirmed = [p for p in by_track[track.id] if p[3] == PlaceStatus.confirmed]
        waiting = [p for p in by_track[track.id] if p[3] == PlaceStatus.waitlisted]
        if track.seats_taken != len(confirmed):
            problems.append(
                Problem(
                    "seats",
                    f"track {track.key}: seats_taken is {track.seats_taken} "
                    f"but {len(confirmed)} places are confirmed",
                )
            )
        if track.places_waiting != len(waiting):
            problems.append(
                Problem(
                    "seats",
                    f"track {track.key}: places_waiting is {track.places_waiting} "
                    f"but {len(waiting)} places are waitlisted",
                )
            )
        if max(track.seats_taken, len(confirmed)) > track.capacity:
            problems.append(
                Problem(
                    "capacity",
                    f"track {track.key}: {max(track.seats_taken, len(confirmed))} seats "
                    f"taken, capacity {track.capacity}",
                )
            )
        if waiting and len(confirmed) < track.capacity:
            problems.append(
                Problem(
                    "waiting",
                    f"track {track.key}: {track.capacity - len(confirmed)} seats free while "
                    f"{len(waiting)} wait (first: registration {waiting[0][2]}, "
                    f"place {waiting[0][0]})",
                )
            )
        if waiting:
            first_waiting = waiting[0][0]
            for place_id, _track, registration_id, _status, _ in confirmed:
                if place_id > first_waiting and (
                    (registration_id, track.key) not in jumped_by_organizer
                ):
                    problems.append(
                        Problem(
                            "order",
                            f"track {track.key}: registration {registration_id} "
                            f"(place {place_id}) has a seat while registration "
                            f"{waiting[0][2]} (place {first_waiting}), earlier, still waits",
                        )
                    )
    return problems


def _confirmed_by_organizers():
    """``{(registration id, track key)}`` of seats organizers gave ahead of the line."""
    details = db.session.scalars(
        sa.select(AuditEvent.details).where(AuditEvent.action == "attendee.confirmed_from_waitlist")
    )
    return {(d.get("registration_id"), d.get("track")) for d in details if d}


def _places(places, registration_filter):
    problems = []
    ended = defaultdict(list)
    for place_id, _track, registration_id, _status, registration_status in places:
        if registration_status != RegistrationStatus.active:
            ended[registration_id].append(place_id)
    for registration_id, place_ids in sorted(ended.items()):
        problems.append(
            Problem(
                "places",
                f"registration {registration_id} has ended but holds places "
                f"{', '.join(map(str, place_ids))}",
            )
        )
    placeless = db.session.scalars(
        sa.select(Registration.id)
        .where(
            Registration.status == RegistrationStatus.active,
            ~sa.exists().where(Place.registration_id == Registration.id),
            *registration_filter,
        )
        .order_by(Registration.id)
    )
    problems += [
        Problem("places", f"registration {registration_id} is active without a place")
        for registration_id in placeless
    ]
    return problems


def _invitations(registration_filter):
    seated = db.session.execute(
        sa.select(Registration.id, Registration.ics_uid)
        .where(
            Registration.status == RegistrationStatus.active,
            sa.exists().where(
                Place.registration_id == Registration.id, Place.status == PlaceStatus.confirmed
            ),
            *registration_filter,
        )
        .order_by(Registration.id)
    ).all()
    if not seated:
        return []
    invited = set()
    for key in db.session.scalars(
        sa.select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.startswith("registration:"),
            OutboxMessage.kind.in_(INVITING_KINDS),
        )
    ):
        registration_id = key.split(":")[1]
        if registration_id.isdigit():
            invited.add(int(registration_id))
    problems = []
    for registration_id, ics_uid in seated:
        if not ics_uid:
            problems.append(
                Problem("invitation", f"registration {registration_id} has a seat but no UID")
            )
        if registration_id not in invited:
            problems.append(
                Problem(
                    "invitation",
                    f"registration {registration_id} has a seat but no invitation was queued",
                )
            )
    return problems
