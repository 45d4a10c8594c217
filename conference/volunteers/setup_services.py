"""Setting volunteering up in the back office: roles, shifts, the settings, and the tracks
each coordinator coordinates.

Nothing here reads ``request`` or calls ``flash``. Each public function owns its
transaction, commits, and records what it did in the audit log (ids, never personal data).
A coordinator works within their scopes (``scopes``: ``None`` for those who see
everything, else the set of track keys and ``"general"``, as ``scope.scopes_of`` says).

What coordinators change keeps against the content files: an edit sets ``edited_at`` and
``edited_by``; a role or shift they create has ``Origin.staff``. A shift's maximum is
lowered under the shift's lock (``places.change_max_people``); a change of its time, place
or role tells everyone on it, with an updated invitation and their reminder moved.
"""

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from conference import audit, database
from conference.access import Role
from conference.accounts.models import User
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.volunteers import checks, emails, places
from conference.volunteers.models import (
    GENERAL,
    CoordinatorScope,
    Origin,
    Shift,
    ShiftSignup,
    SignupStatus,
    VolunteerRole,
    VolunteerSettings,
)

# What a change to a shift can be about, as the volunteers' emails name it.
CHANGES = ("time", "place", "role")


class SetupError(Exception):
    """A set-up rule was broken; the message is safe to show. ``field`` names the form's
    field it is about, when there is one."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def _scope_of(role):
    return role.track_key or GENERAL


def within(scopes, role):
    """Whether a user with ``scopes`` may change ``role`` (and its shifts)."""
    return scopes is None or _scope_of(role) in scopes


def _actor_name(actor):
    return actor.email if actor is not None else None


# ---------------------------------------------------------------------------------------
# Reading


def tracks_of(conference, scopes):
    """The tracks a user with ``scopes`` may put roles in: ``[(key or "", Track or None)]``,
    the general roles first."""
    result = []
    if scopes is None or GENERAL in scopes:
        result.append(("", None))
    result += [(t.key, t) for t in conference.tracks if scopes is None or t.key in scopes]
    return result


def roles_by_track(conference, scopes):
    """The roles a user with ``scopes`` may see, with their shifts, grouped as
    ``[(Track or None, [VolunteerRole])]``: the general roles, then each track's."""
    roles = db.session.scalars(
        sa.select(VolunteerRole)
        .where(VolunteerRole.conference_id == conference.id)
        .options(so.selectinload(VolunteerRole.shifts), so.joinedload(VolunteerRole.track))
        .order_by(VolunteerRole.position, VolunteerRole.id)
    ).all()
    return [
        (track, [r for r in roles if (r.track_key or "") == key])
        for key, track in tracks_of(conference, scopes)
    ]


def role_in_scope(conference, role_id, scopes):
    """The role ``role_id`` of ``conference`` if ``scopes`` reach it, else ``None``."""
    role = db.session.get(VolunteerRole, role_id) if 0 < role_id < 2**31 else None
    if role is None or role.conference_id != conference.id or not within(scopes, role):
        return None
    return role


def shift_in_scope(conference, shift_id, scopes):
    shift = db.session.get(Shift, shift_id) if 0 < shift_id < 2**31 else None
    if shift is None or shift.conference_id != conference.id or not within(scopes, shift.role):
        return None
    return shift


def local_parts(shift):
    """``(day number, local start, local end)`` of ``shift`` for the edit form."""
    conference = shift.conference
    zone = ZoneInfo(conference.timezone)
    starts = checks.to_local(shift.starts_at, zone)
    ends = checks.to_local(shift.ends_at, zone)
    return (starts.date() - conference.starts_on).days + 1, starts.time(), ends.time()


# ---------------------------------------------------------------------------------------
# Roles


def _track(conference, key, scopes):
    if key is not None and key not in {t.key for t in conference.tracks}:
        raise SetupError(_l("Select a track from the list"), "track")
    if scopes is not None and (key or GENERAL) not in scopes:
        raise SetupError(_l("You do not coordinate this track"), "track")
    return next((t for t in conference.tracks if t.key == key), None)


def create_role(conference, values, *, scopes=None, actor=None, now=None):
    """A new role (``Origin.staff``) from a ``RoleForm``'s values. Commits."""
    now = now or utcnow()
    track = _track(conference, values["track"], scopes)
    database.begin_write()
    last = db.session.scalar(
        sa.select(sa.func.max(VolunteerRole.position)).where(
            VolunteerRole.conference_id == conference.id
        )
    )
    role = VolunteerRole(
        conference=conference,
        track=track,
        key=f"staff-{secrets.token_hex(6)}",
        origin=Origin.staff,
        position=(last or 0) + 1,
        edited_at=now,
        edited_by=_actor_name(actor),
        **_role_fields(values),
    )
    db.session.add(role)
    db.session.flush()
    audit.record("volunteers.role_created", actor=actor, role=role.id)
    db.session.commit()
    return role


def _role_fields(values):
    return {
        name: values[name] for name in ("name", "description", "languages", "adults_only", "skill")
    }


def update_role(role, values, *, scopes=None, actor=None, now=None):
    """Change ``role``; loading content keeps the change (``edited_at``). Commits.

    Volunteers already on its shifts keep their places: a requirement added later is
    checked at the next sign-up, not against those already there.
    """
    now = now or utcnow()
    track = _track(role.conference, values["track"], scopes)
    database.begin_write()
    role = db.session.get(VolunteerRole, role.id, populate_existing=True, with_for_update=True)
    changed = [name for name, value in _role_fields(values).items() if getattr(role, name) != value]
    if role.track_id != (track.id if track else None):
        changed.append("track")
    for name, value in _role_fields(values).items():
        setattr(role, name, value)
    role.track = track
    if changed:
        role.edited_at = now
        role.edited_by = _actor_name(actor)
        audit.record("volunteers.role_changed", actor=actor, role=role.id, fields=sorted(changed))
    db.session.commit()
    return changed


# ---------------------------------------------------------------------------------------
# Shifts


def _times(conference, values):
    day = values["day"]
    if not 1 <= day <= len(conference.days):
        raise SetupError(_l("Select a day of the conference"), "day")
    if values["ends"] <= values["starts"]:
        raise SetupError(_l("The end time must be after the start time"), "ends")
    zone = ZoneInfo(conference.timezone)
    on = conference.days[day - 1]
    return (
        checks.to_utc(datetime.combine(on, values["starts"]), zone),
        checks.to_utc(datetime.combine(on, values["ends"]), zone),
    )


def _role_for_shift(conference, role_id, scopes):
    role = role_in_scope(conference, role_id, scopes)
    if role is None:
        raise SetupError(_l("Select a role from the list"), "role")
    return role


def create_shift(conference, values, *, scopes=None, actor=None, now=None):
    """A new shift (``Origin.staff``) from a ``ShiftForm``'s values. Commits."""
    now = now or utcnow()
    role = _role_for_shift(conference, values["role_id"], scopes)
    starts_at, ends_at = _times(conference, values)
    if values["min_people"] > values["max_people"]:
        raise SetupError(_l("The maximum must be at least the minimum"), "max_people")
    database.begin_write()
    shift = Shift(
        conference=conference,
        role=role,
        key=f"staff-{secrets.token_hex(6)}",
        starts_at=starts_at,
        ends_at=ends_at,
        place=values["place"],
        min_people=values["min_people"],
        max_people=values["max_people"],
        taken=0,
        language_need=values["language_need"],
        origin=Origin.staff,
        edited_at=now,
        edited_by=_actor_name(actor),
    )
    db.session.add(shift)
    db.session.flush()
    audit.record("volunteers.shift_created", actor=actor, shift=shift.id, role=role.id)
    db.session.commit()
    return shift


def below_taken_message(taken):
    return lazy_ngettext(
        "%(num)s place is taken on this shift: the maximum cannot go below it.",
        "%(num)s places are taken on this shift: the maximum cannot go below them.",
        taken,
    )


def update_shift(shift, values, *, scopes=None, actor=None, now=None):
    """Change ``shift`` under its lock. Commits; returns the changes the volunteers are told
    of (``CHANGES``), or ``[]``.

    A maximum below the places taken is refused (read under the lock: a sign-up running
    at the same moment is counted). When the time, place or role changes, every current
    sign-up's invitation SEQUENCE rises, its reminder moves, and it is emailed.

    :raises SetupError: a value breaks a rule; nothing is saved.
    """
    now = now or utcnow()
    conference = shift.conference
    role = _role_for_shift(conference, values["role_id"], scopes)
    starts_at, ends_at = _times(conference, values)
    shift_id = shift.id
    database.begin_write()
    try:
        (shift,) = places.lock_shifts(conference, [shift_id])
        if not within(scopes, shift.role):
            raise SetupError(_l("You do not coordinate this track"), "role")
        try:
            places.change_max_people(shift, values["max_people"], min_people=values["min_people"])
        except places.BelowTaken as exc:
            raise SetupError(below_taken_message(exc.taken), "max_people") from None
        if values["min_people"] > values["max_people"]:
            raise SetupError(_l("The maximum must be at least the minimum"), "max_people")
    except SetupError:
        db.session.rollback()
        raise
    changes = []
    if (shift.starts_at, shift.ends_at) != (starts_at, ends_at):
        changes.append("time")
    if shift.place != values["place"]:
        changes.append("place")
    if shift.role_id != role.id:
        changes.append("role")
    signups = _current_signups(shift) if changes else []
    for signup in signups:
        if signup.status == SignupStatus.confirmed:
            places.cancel_reminder(signup)  # before the SEQUENCE its key holds rises
        signup.ics_sequence += 1
    shift.starts_at, shift.ends_at = starts_at, ends_at
    shift.place = values["place"]
    shift.role = role
    shift.language_need = values["language_need"]
    shift.edited_at = now
    shift.edited_by = _actor_name(actor)
    db.session.flush()
    if signups:
        places.schedule_reminders(signups, checks.settings_of(conference), now)
        for signup in signups:
            outbox.enqueue(emails.shift_changed(signup, changes=changes))
    audit.record(
        "volunteers.shift_changed",
        actor=actor,
        shift=shift.id,
        changes=changes,
        max_people=shift.max_people,
        min_people=shift.min_people,
        told=len(signups),
    )
    db.session.commit()
    return changes


def _current_signups(shift):
    return list(
        db.session.scalars(
            sa.select(ShiftSignup)
            .where(ShiftSignup.shift_id == shift.id, ShiftSignup.status != SignupStatus.dropped)
            .order_by(ShiftSignup.id)
        )
    )


def delete_shift(shift, *, scopes=None, actor=None, now=None, remove_people=0):
    """Delete ``shift``. With people on it, only when the user agreed to take off at least
    as many (``remove_people``, the number the confirmation showed): each is released and
    emailed a cancellation (the message carries what it must show: the shift is gone).
    Commits; returns how many people were told.

    :raises SetupError: more people are on it than ``remove_people`` (someone signed up
        since the question was asked); nothing is changed.
    """
    now = now or utcnow()
    conference = shift.conference
    database.begin_write()
    (shift,) = places.lock_shifts(conference, [shift.id])
    if not within(scopes, shift.role):
        db.session.rollback()
        raise SetupError(_l("You do not coordinate this track"))
    signups = _current_signups(shift)
    if len(signups) > remove_people:
        db.session.rollback()
        raise SetupError(
            lazy_ngettext(
                "%(num)s person is on this shift: confirm that they are taken off it.",
                "%(num)s people are on this shift: confirm that they are all taken off it.",
                len(signups),
            )
        )
    for signup in signups:
        places.release(signup, shift, now)
        intent = emails.shift_dropped(signup, by_staff=True)
        intent.snapshot["shift_gone"] = _shift_snapshot(shift, signup)
        outbox.enqueue(intent)
    db.session.flush()
    db.session.execute(sa.delete(ShiftSignup).where(ShiftSignup.shift_id == shift.id))
    db.session.delete(shift)
    audit.record("volunteers.shift_deleted", actor=actor, shift=shift.id, told=len(signups))
    db.session.commit()
    return len(signups)


def _shift_snapshot(shift, signup):
    """What a cancellation must show once the shift and its sign-up rows are gone."""
    return {
        "uid": signup.ics_uid,
        "sequence": signup.ics_sequence,
        "role": shift.role.name,
        "place": shift.place,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
    }


# ---------------------------------------------------------------------------------------
# Settings


def save_settings(conference, values, *, actor=None, now=None):
    """Save the settings; ``opens_at``/``closes_at`` are local times. Loading content then
    keeps them (``edited_at``). Commits; returns the names of the changed settings."""
    now = now or utcnow()
    database.begin_write()
    settings = db.session.scalar(
        sa.select(VolunteerSettings).filter_by(conference_id=conference.id).with_for_update()
    )
    if settings is None:
        settings = checks.settings_of(conference)
        db.session.add(settings)
    zone = ZoneInfo(conference.timezone)
    values = dict(values)
    for name in ("opens_at", "closes_at"):
        if values[name] is not None:
            values[name] = checks.to_utc(values[name], zone)
    if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
        db.session.rollback()
        raise SetupError(_l("The closing must be after the opening"), "closes_at")
    changed = sorted(name for name, value in values.items() if getattr(settings, name) != value)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.edited_at = now
    settings.edited_by = _actor_name(actor)
    audit.record("volunteers.settings_changed", actor=actor, fields=changed)
    db.session.commit()
    return changed


def local_settings(conference, settings):
    """The settings' opening and closing in local time, for the form."""
    zone = ZoneInfo(conference.timezone)
    return {
        name: checks.to_local(value, zone) if value else None
        for name, value in (("opens_at", settings.opens_at), ("closes_at", settings.closes_at))
    }


# ---------------------------------------------------------------------------------------
# Coordinators


def scope_choices(conference):
    """Every scope a coordinator can have: ``[(key, Track or None)]``, general first."""
    return tracks_of(conference, None)


def coordinators():
    """Every user with the coordinator role and their scopes: ``[(User, set of keys)]``."""
    users = db.session.scalars(
        sa.select(User).where(User.role == Role.coordinator).order_by(User.name, User.email)
    ).all()
    rows = db.session.execute(
        sa.select(CoordinatorScope.user_id, CoordinatorScope.scope).where(
            CoordinatorScope.user_id.in_([u.id for u in users])
        )
    ).all()
    scopes = {u.id: set() for u in users}
    for user_id, key in rows:
        scopes[user_id].add(key)
    return [(u, scopes[u.id]) for u in users]


def set_scopes(conference, user_id, keys, *, actor=None):
    """Make ``keys`` the scopes of the coordinator ``user_id``. Commits; returns whether
    anything changed.

    :raises SetupError: not a coordinator, or a key that is no scope.
    """
    allowed = {key or GENERAL for key, _track in scope_choices(conference)}
    keys = set(keys or ())
    if not keys <= allowed:
        raise SetupError(_l("Select tracks from the list"), "scopes")
    database.begin_write()
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or user.role != Role.coordinator:
        db.session.rollback()
        raise SetupError(_l("This account is not a volunteer coordinator."))
    current = set(db.session.scalars(sa.select(CoordinatorScope.scope).filter_by(user_id=user.id)))
    if current == keys:
        db.session.commit()
        return False
    db.session.execute(
        sa.delete(CoordinatorScope).where(
            CoordinatorScope.user_id == user.id, CoordinatorScope.scope.in_(current - keys)
        )
    )
    for key in sorted(keys - current):
        db.session.add(CoordinatorScope(user_id=user.id, scope=key))
    audit.record("volunteers.scopes_changed", actor=actor, user=user.id, scopes=sorted(keys))
    db.session.commit()
    return True
