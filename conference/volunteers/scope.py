"""Who sees what among volunteers: every staff query and page goes through here.

Administrators and organizers see every shift and volunteer. A coordinator sees the
shifts of the roles in their scopes (``CoordinatorScope``: a track's key, or
``"general"`` for the roles outside any track), and a volunteer only while one of
their current sign-ups is on such a shift (minors too: only then). Pages answer 404,
not 403, for what a coordinator may not see, so that other tracks' ids are not confirmed.
"""

import sqlalchemy as sa
from flask import abort

from conference.access import Role
from conference.content.models import Track
from conference.extensions import db
from conference.volunteers.models import (
    GENERAL,
    CoordinatorScope,
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)

# Roles that see every volunteer; a coordinator sees their scopes'.
SEES_ALL = frozenset({Role.admin, Role.organizer})


def scopes_of(user):
    """``None`` for a user who sees everything, else the frozenset of their scopes
    (empty for anyone else: they see nothing)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return frozenset()
    if user.role in SEES_ALL:
        return None
    if user.role != Role.coordinator:
        return frozenset()
    rows = db.session.scalars(
        sa.select(CoordinatorScope.scope).where(CoordinatorScope.user_id == user.id)
    )
    return frozenset(rows)


def _role_ids(scopes):
    """A subquery of the ids of the roles within ``scopes``."""
    conditions = []
    if GENERAL in scopes:
        conditions.append(VolunteerRole.track_id.is_(None))
    tracks = sorted(scopes - {GENERAL})
    if tracks:
        conditions.append(
            VolunteerRole.track_id.in_(sa.select(Track.id).where(Track.key.in_(tracks)))
        )
    return sa.select(VolunteerRole.id).where(sa.or_(sa.false(), *conditions))


def shift_filter(user):
    """A condition on ``Shift`` keeping the shifts ``user`` may see (``sa.true()`` for
    all). It is a subquery on the shift's role: no join is needed, and joins of
    ``VolunteerRole`` and ``Track`` made by the caller do no harm."""
    scopes = scopes_of(user)
    if scopes is None:
        return sa.true()
    if not scopes:
        return sa.false()
    return Shift.role_id.in_(_role_ids(scopes))


def volunteer_filter(user):
    """A condition on ``Volunteer`` keeping those ``user`` may see: everyone for those
    who see all, else those with a current sign-up on a visible shift."""
    scopes = scopes_of(user)
    if scopes is None:
        return sa.true()
    if not scopes:
        return sa.false()
    visible = (
        sa.select(ShiftSignup.volunteer_id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.status != SignupStatus.dropped, Shift.role_id.in_(_role_ids(scopes)))
    )
    return Volunteer.id.in_(visible)


def _in_scopes(scopes, shift):
    if scopes is None:
        return True
    track = shift.role.track
    key = track.key if track is not None else GENERAL
    return key in scopes


def can_see_shift(user, shift):
    return shift is not None and _in_scopes(scopes_of(user), shift)


def can_see_volunteer(user, volunteer):
    if volunteer is None:
        return False
    scopes = scopes_of(user)
    if scopes is None:
        return True
    return any(_in_scopes(scopes, s.shift) for s in volunteer.current_signups)


def visible_signups(user, volunteer, current=True):
    """``volunteer``'s sign-ups on shifts ``user`` may see (only current ones unless
    ``current`` is false), by shift start."""
    scopes = scopes_of(user)
    signups = volunteer.current_signups if current else volunteer.signups
    return [s for s in signups if _in_scopes(scopes, s.shift)]


def shift_or_404(user, shift_id):
    shift = db.session.get(Shift, shift_id)
    if not can_see_shift(user, shift):
        abort(404)
    return shift


def volunteer_or_404(user, volunteer_id):
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or not volunteer.is_active or not can_see_volunteer(user, volunteer):
        abort(404)
    return volunteer
