"""Volunteers' part of the content files: the ``[volunteering]`` settings, and roles and
shifts (``[[volunteer_roles]]``, ``[[volunteer_shifts]]``).

Content calls ``load_section`` inside each load (``content.services.install_section``):
the content file's roles and shifts have ``Origin.file``, the sample file's
``Origin.sample`` (labelled as a sample on the public page, removed with it).

Coordinators' work is never overwritten: a role, shift or the settings that
coordinators changed in the back office (``edited_at``) keep their values, and a shift
someone holds a place on is never deleted by a load (it is reported as kept). Shifts and
roles coordinators created (``Origin.staff``) are not the files' to touch.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from conference.content.parsing import ContentError, bilingual, key_field
from conference.extensions import db
from conference.volunteers.checks import to_utc
from conference.volunteers.models import Origin, Shift, VolunteerRole, VolunteerSettings

LANGUAGES = ("ar", "en")
SETTINGS = {
    # file name: (column, factor to the column's unit)
    "change_deadline_hours": ("change_deadline_hours", 1),
    "max_consecutive_hours": ("max_consecutive_minutes", 60),
    "min_break_minutes": ("min_break_minutes", 1),
    "max_daily_hours": ("max_daily_minutes", 60),
    "guardian_hold_hours": ("guardian_hold_hours", 1),
    "reminder_hours": ("reminder_hours", 1),
}


def load_section(conference, data, report, *, is_sample):
    """Create, update or remove the roles and shifts of one file (see the module's notes)."""
    origin = Origin.sample if is_sample else Origin.file
    if not is_sample:
        _load_settings(conference, data.get("volunteering"), report)
    roles = _role_values(conference, data.get("volunteer_roles", []))
    _sync_roles(conference, roles, origin, report)
    shifts = _shift_values(conference, data.get("volunteer_shifts", []))
    _sync_shifts(conference, shifts, origin, report)


def _load_settings(conference, table, report):
    if table is None:
        return
    if not isinstance(table, dict):
        raise ContentError("[volunteering]: expected a table")
    settings = db.session.scalar(
        sa.select(VolunteerSettings).filter_by(conference_id=conference.id)
    )
    if settings is None:
        settings = VolunteerSettings(conference_id=conference.id)
        db.session.add(settings)
        report.created.append("volunteering settings")
    elif settings.edited_at is not None:
        return  # organizers changed them in the back office: theirs to keep
    status = table.get("status", "closed")
    if status not in ("open", "closed"):
        raise ContentError('volunteering.status: "open" or "closed"')
    values = {"signup_open": status == "open"}
    zone = ZoneInfo(conference.timezone)
    for name in ("opens_at", "closes_at"):
        value = table.get(name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is not None):
            raise ContentError(
                f"volunteering.{name}: a local date and time such as 2022-03-01T09:00:00"
            )
        values[name] = to_utc(value, zone) if value else None
    defaults = VolunteerSettings.__table__.columns
    for name, (column, factor) in SETTINGS.items():
        value = table.get(name, defaults[column].default.arg // factor)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
            raise ContentError(f"volunteering.{name}: a whole number")
        values[column] = value * factor
    changed = False
    for name, value in values.items():
        if getattr(settings, name) != value:
            setattr(settings, name, value)
            changed = True
    if changed and "volunteering settings" not in report.created:
        report.updated.append("volunteering settings")


def _role_values(conference, items):
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ContentError("volunteer_roles: expected a list of [[volunteer_roles]] tables")
    tracks = {t.key: t for t in conference.tracks}
    result = []
    for n, item in enumerate(items, 1):
        where = f"volunteer_roles[{n}]"
        track = item.get("track")
        if track is not None and track not in tracks:
            raise ContentError(f"{where}.track: no track {track!r}")
        languages = item.get("languages", [])
        if not isinstance(languages, list) or not set(languages) <= set(LANGUAGES):
            raise ContentError(f'{where}.languages: a list of "ar" and "en"')
        adults_only = item.get("adults_only", False)
        if not isinstance(adults_only, bool):
            raise ContentError(f"{where}.adults_only: true or false")
        result.append(
            {
                "key": key_field(item, where),
                "track": tracks.get(track),
                "name": bilingual(item, "name", where),
                "description": bilingual(item, "description", where, required=False),
                "languages": [code for code in LANGUAGES if code in languages],
                "adults_only": adults_only,
                "skill": bilingual(item, "skill", where) if "skill" in item else None,
            }
        )
    return result


def _shift_values(conference, items):
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ContentError("volunteer_shifts: expected a list of [[volunteer_shifts]] tables")
    zone = ZoneInfo(conference.timezone)
    result = []
    for n, item in enumerate(items, 1):
        where = f"volunteer_shifts[{n}]"
        day = item.get("day")
        if not isinstance(day, int) or not 1 <= day <= len(conference.days):
            raise ContentError(f"{where}.day: a day number from 1 to {len(conference.days)}")
        on = conference.starts_on + timedelta(days=day - 1)
        starts, ends = item.get("starts_at"), item.get("ends_at")
        for name, value in (("starts_at", starts), ("ends_at", ends)):
            if not isinstance(value, time):
                raise ContentError(f"{where}.{name}: a local time such as 09:00:00")
        if ends <= starts:
            raise ContentError(f"{where}: ends_at must be after starts_at")
        low, high = item.get("min_people", 1), item.get("max_people")
        if not isinstance(high, int) or not isinstance(low, int) or not 0 <= low <= high:
            raise ContentError(f"{where}: min_people and max_people, 0 <= min <= max")
        need = item.get("language_need")
        if need is not None and need not in LANGUAGES:
            raise ContentError(f'{where}.language_need: "ar" or "en"')
        role = item.get("role")
        if not isinstance(role, str):
            raise ContentError(f"{where}.role: the key of a volunteer role")
        result.append(
            {
                "key": key_field(item, where),
                "role": role,
                "starts_at": to_utc(datetime.combine(on, starts), zone),
                "ends_at": to_utc(datetime.combine(on, ends), zone),
                "place": bilingual(item, "place", where),
                "min_people": low,
                "max_people": high,
                "language_need": need,
            }
        )
    return result


def _own(model, conference, origin):
    rows = db.session.scalars(sa.select(model).filter_by(conference_id=conference.id))
    mine, others = {}, set()
    for row in rows:
        if row.origin == origin:
            mine[row.key] = row
        else:
            others.add(row.key)
    return mine, others


def _sync_roles(conference, items, origin, report):
    mine, others = _own(VolunteerRole, conference, origin)
    seen = set()
    for position, values in enumerate(items):
        key = values["key"]
        if key in seen or key in others:
            raise ContentError(f"volunteer role {key!r} appears twice")
        seen.add(key)
        row = mine.get(key)
        if row is None:
            db.session.add(
                VolunteerRole(conference=conference, origin=origin, position=position, **values)
            )
            report.created.append(f"volunteer role {key}")
        elif row.edited_at is None and _assign(row, {**values, "position": position}):
            report.updated.append(f"volunteer role {key}")
    db.session.flush()
    for key, row in mine.items():
        if key in seen:
            continue
        if any(shift.taken for shift in row.shifts) or any(
            shift.origin == Origin.staff for shift in row.shifts
        ):
            continue  # shifts with volunteers, or coordinators' own, keep their role
        for shift in list(row.shifts):
            db.session.delete(shift)
        db.session.delete(row)
        report.removed.append(f"volunteer role {key}")


def _sync_shifts(conference, items, origin, report):
    roles = {
        r.key: r
        for r in db.session.scalars(sa.select(VolunteerRole).filter_by(conference_id=conference.id))
    }
    mine, others = _own(Shift, conference, origin)
    seen = set()
    for values in items:
        key = values["key"]
        if key in seen or key in others:
            raise ContentError(f"volunteer shift {key!r} appears twice")
        seen.add(key)
        role = roles.get(values.pop("role"))
        if role is None:
            raise ContentError(f"volunteer shift {key!r}: no volunteer role by that key")
        row = mine.get(key)
        if row is None:
            db.session.add(
                Shift(conference=conference, role=role, origin=origin, taken=0, **values)
            )
            report.created.append(f"volunteer shift {key}")
            continue
        if row.edited_at is not None:
            continue  # coordinators changed it: theirs to keep
        if values["max_people"] < row.taken:
            values["max_people"] = row.taken  # never below the places already taken
        moved = (
            any(getattr(row, name) != values[name] for name in ("starts_at", "ends_at", "place"))
            or row.role_id != role.id
        )
        if row.taken and moved:
            raise ContentError(
                f"volunteer shift {key!r} has volunteers: change its time, place or role in "
                "the back office, where they are told"
            )
        if _assign(row, {**values, "role": role}):
            report.updated.append(f"volunteer shift {key}")
    for key, row in mine.items():
        if key not in seen and not row.taken:
            db.session.delete(row)
            report.removed.append(f"volunteer shift {key}")


def _assign(row, values):
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
