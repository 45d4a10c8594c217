"""The volunteers' figures on the organizers' dashboard: aggregates only, no names.

A coordinator sees the figures of their tracks' shifts (``scope.shift_filter``); those
who see everything, the whole conference's. Three aggregate queries, kept in the shared
cache as the attendees' figures are (``DASHBOARD_CACHE_SECONDS``), one entry per set of
scopes: a page view costs no count.
"""

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import current_app

from conference.extensions import cache, db
from conference.volunteers import scope
from conference.volunteers.models import (
    AgeGroup,
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerStatus,
)


@dataclass(frozen=True)
class VolunteerFigures:
    volunteers: int  # active volunteers with a current place on a visible shift
    filled: int  # places held or confirmed on visible shifts
    places: int  # the visible shifts' maximums together
    shifts: int  # visible shifts
    under_minimum: int  # visible shifts with fewer people than their minimum
    awaiting_guardian: int  # minors on visible shifts whose guardian has not confirmed


def figures(conference, user):
    """The ``VolunteerFigures`` of ``conference`` that ``user`` may see."""
    visible = sa.and_(Shift.conference_id == conference.id, scope.shift_filter(user))
    shifts, filled, places, under = db.session.execute(
        sa.select(
            sa.func.count(Shift.id),
            sa.func.coalesce(sa.func.sum(Shift.taken), 0),
            sa.func.coalesce(sa.func.sum(Shift.max_people), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Shift.taken < Shift.min_people, 1), else_=0)), 0),
        ).where(visible)
    ).one()
    on_visible = (
        sa.select(ShiftSignup.volunteer_id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(visible, ShiftSignup.status != SignupStatus.dropped)
    )
    people = sa.select(sa.func.count(Volunteer.id)).where(
        Volunteer.conference_id == conference.id,
        Volunteer.status == VolunteerStatus.active,
        Volunteer.id.in_(on_visible),
    )
    volunteers = db.session.scalar(people)
    awaiting = db.session.scalar(
        people.where(
            Volunteer.age_group == AgeGroup.under_18,
            Volunteer.guardian_confirmed_at.is_(None),
        )
    )
    return VolunteerFigures(
        volunteers=volunteers or 0,
        filled=int(filled),
        places=int(places),
        shifts=shifts or 0,
        under_minimum=int(under),
        awaiting_guardian=awaiting or 0,
    )


def cached_figures(conference, user):
    """``figures`` from the cache when fresh (per conference and set of scopes)."""
    scopes = scope.scopes_of(user)
    seen = "all" if scopes is None else ",".join(sorted(scopes)) or "none"
    key = f"volunteers:dashboard:{conference.id}:{seen}"
    found = cache.get(key)
    if found is None:
        found = asdict(figures(conference, user))
        cache.set(key, found, timeout=current_app.config["DASHBOARD_CACHE_SECONDS"])
    return VolunteerFigures(**found)
