"""The rules of shift places that the database cannot enforce, for ``flask check``.

``check`` reads the whole state and returns every broken rule, naming the rows (ids,
never names or addresses). ``init_app`` installs it beside registration's own check
(``registration.invariants.install_check``), so that ``flask check`` runs both without
registration importing volunteers. The rules:

* places: a shift's ``taken`` equals its held and confirmed sign-ups, and stays within
  0 and its maximum (the CHECK guards the stored count; the count of rows has no guard);
* overlaps: nobody holds two current (held or confirmed) shifts that overlap (back to
  back is fine);
* holds: only a minor whose guardian has not confirmed yet has held places, and each
  hold has an end (``held_until``);
* volunteers: an active volunteer has an email address; an erased one holds no place
  and keeps no name, address or phone.
"""

from collections import defaultdict

import sqlalchemy as sa

from conference.extensions import db
from conference.registration.invariants import Problem
from conference.volunteers.models import (
    AgeGroup,
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerStatus,
)

CURRENT = (SignupStatus.held, SignupStatus.confirmed)


def check(conference=None):
    """Return the broken rules, as ``Problem``s (empty when all hold). Reads only.

    ``conference`` limits the check to one conference; by default, all of them.
    """
    where = [Shift.conference_id == conference.id] if conference else []
    current = db.session.execute(
        sa.select(
            ShiftSignup.id,
            ShiftSignup.volunteer_id,
            ShiftSignup.shift_id,
            ShiftSignup.status,
            ShiftSignup.held_until,
            Shift.starts_at,
            Shift.ends_at,
        )
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.status.in_(CURRENT), *where)
        .order_by(ShiftSignup.id)
    ).all()
    problems = []
    problems += _places(where, current)
    problems += _overlaps(current)
    problems += _holds(conference, current)
    problems += _volunteers(conference, current)
    return problems


def _places(where, current):
    counted = defaultdict(int)
    for row in current:
        counted[row.shift_id] += 1
    problems = []
    shifts = db.session.execute(
        sa.select(Shift.id, Shift.key, Shift.taken, Shift.max_people)
        .where(*where)
        .order_by(Shift.id)
    )
    for shift_id, key, taken, max_people in shifts:
        count = counted[shift_id]
        if taken != count:
            problems.append(
                Problem(
                    "shift places",
                    f"shift {key} (id {shift_id}): taken is {taken} but {count} sign-ups "
                    "are held or confirmed",
                )
            )
        if taken < 0 or max(taken, count) > max_people:
            problems.append(
                Problem(
                    "shift maximum",
                    f"shift {key} (id {shift_id}): {max(taken, count)} places taken "
                    f"(stored {taken}), maximum {max_people}",
                )
            )
    return problems


def _overlaps(current):
    by_volunteer = defaultdict(list)
    for row in current:
        by_volunteer[row.volunteer_id].append(row)
    problems = []
    for volunteer_id, rows in sorted(by_volunteer.items()):
        rows.sort(key=lambda r: (r.starts_at, r.shift_id))
        latest = None  # the current shift that ends last among those started so far
        for row in rows:
            if latest is not None and row.starts_at < latest.ends_at:
                problems.append(
                    Problem(
                        "shift overlap",
                        f"volunteer {volunteer_id}: shifts {latest.shift_id} and "
                        f"{row.shift_id} overlap (sign-ups {latest.id} and {row.id})",
                    )
                )
            if latest is None or row.ends_at > latest.ends_at:
                latest = row
    return problems


def _holds(conference, current):
    held = [row for row in current if row.status == SignupStatus.held]
    if not held:
        return []
    volunteers = {
        v.id: v
        for v in db.session.execute(
            sa.select(Volunteer.id, Volunteer.age_group, Volunteer.guardian_confirmed_at).where(
                Volunteer.id.in_({row.volunteer_id for row in held})
            )
        )
    }
    problems = []
    for row in held:
        volunteer = volunteers[row.volunteer_id]
        if volunteer.age_group != AgeGroup.under_18:
            problems.append(
                Problem(
                    "shift hold",
                    f"sign-up {row.id}: a place is held for volunteer {row.volunteer_id}, "
                    "who is not a minor",
                )
            )
        elif volunteer.guardian_confirmed_at is not None:
            problems.append(
                Problem(
                    "shift hold",
                    f"sign-up {row.id}: a place is still held for volunteer "
                    f"{row.volunteer_id}, whose guardian has confirmed",
                )
            )
        if row.held_until is None:
            problems.append(Problem("shift hold", f"sign-up {row.id}: held without an end"))
    return problems


def _volunteers(conference, current):
    where = [Volunteer.conference_id == conference.id] if conference else []
    problems = []
    addressless = db.session.scalars(
        sa.select(Volunteer.id)
        .where(
            Volunteer.status == VolunteerStatus.active,
            sa.func.coalesce(sa.func.trim(Volunteer.email), "") == "",
            *where,
        )
        .order_by(Volunteer.id)
    )
    problems += [
        Problem("volunteer", f"volunteer {volunteer_id} is active without an email address")
        for volunteer_id in addressless
    ]
    erased = {
        v.id: v
        for v in db.session.execute(
            sa.select(Volunteer.id, Volunteer.email, Volunteer.full_name, Volunteer.phone).where(
                Volunteer.status == VolunteerStatus.erased, *where
            )
        )
    }
    holding = defaultdict(list)
    for row in current:
        if row.volunteer_id in erased:
            holding[row.volunteer_id].append(row.shift_id)
    for volunteer_id, shift_ids in sorted(holding.items()):
        problems.append(
            Problem(
                "volunteer",
                f"volunteer {volunteer_id} was erased but holds shifts "
                f"{', '.join(map(str, shift_ids))}",
            )
        )
    for volunteer_id, volunteer in sorted(erased.items()):
        if volunteer.email or volunteer.full_name or volunteer.phone:
            problems.append(
                Problem(
                    "volunteer",
                    f"volunteer {volunteer_id} was erased but keeps personal data",
                )
            )
    return problems
