"""What the rules need, read from the database: the settings, the person and the shifts
as ``rules`` sees them, and ``check``, which asks the rules about several shifts at once.

Read-only: the services call it under their locks, the pages call it to show each
shift's state before anyone submits.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import get_locale

from conference.content.models import ProgrammeSession
from conference.extensions import db
from conference.volunteers import rules
from conference.volunteers.models import (
    AgeGroup,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerSettings,
)


def settings_of(conference):
    """The volunteer settings of ``conference`` (defaults, unsaved, while it has none)."""
    found = db.session.scalar(sa.select(VolunteerSettings).filter_by(conference_id=conference.id))
    if found is not None:
        return found
    return VolunteerSettings(
        conference_id=conference.id,
        signup_open=False,
        change_deadline_hours=24,
        max_consecutive_minutes=240,
        min_break_minutes=30,
        max_daily_minutes=480,
        guardian_hold_hours=72,
        reminder_hours=24,
    )


def limits_of(conference, settings):
    zone = ZoneInfo(conference.timezone)
    return rules.Limits(
        max_consecutive=timedelta(minutes=settings.max_consecutive_minutes),
        min_break=timedelta(minutes=settings.min_break_minutes),
        max_daily=timedelta(minutes=settings.max_daily_minutes),
        local_day=lambda moment: to_local(moment, zone).date(),
    )


def to_local(moment, zone):
    """A naive UTC ``moment`` in ``zone``, naive."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)


def to_utc(local, zone):
    """A naive local time in ``zone`` as naive UTC."""
    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def shift_label(shift, language="en"):
    """A shift named for a refusal: its role and local start ("Welcome desk, 09:00")."""
    zone = ZoneInfo(shift.conference.timezone)
    name = shift.role.name.get(language) or shift.role.name.get("en") or shift.role.key
    return f"{name} ({to_local(shift.starts_at, zone):%H:%M})"


def session_slots(conference, keys, language="en"):
    """The programme sessions named by ``keys`` that have times, as ``rules.Slot``."""
    if not keys:
        return ()
    zone = ZoneInfo(conference.timezone)
    found = db.session.scalars(
        sa.select(ProgrammeSession).where(
            ProgrammeSession.conference_id == conference.id,
            ProgrammeSession.key.in_(list(keys)),
            ProgrammeSession.starts_at.is_not(None),
            ProgrammeSession.ends_at.is_not(None),
        )
    )
    return tuple(
        rules.Slot(
            to_utc(datetime.combine(s.day, s.starts_at), zone),
            to_utc(datetime.combine(s.day, s.ends_at), zone),
            s.title.get(language) or s.title.get("en") or s.key,
        )
        for s in found
    )


def slot_of(shift, language="en"):
    return rules.Slot(shift.starts_at, shift.ends_at, shift_label(shift, language))


def shift_facts(shift, need_met=True):
    role = shift.role
    return rules.ShiftFacts(
        id=shift.id,
        slot=slot_of(shift),
        max_people=shift.max_people,
        taken=shift.taken,
        role_languages=tuple(role.languages or ()),
        adults_only=role.adults_only,
        skill_role=role.key if role.skill else None,
        skill_label=_skill_label(role),
        language_need=shift.language_need,
        need_met=need_met,
    )


def _skill_label(role, language=None):
    if not role.skill:
        return ""
    language = language or (str(get_locale()) if get_locale() else "en")
    return role.skill.get(language) or role.skill.get("en") or ""


def person_facts(conference, *, languages, age_group, skills, sessions, current=(), language="en"):
    """The rules' view of a person; ``current``: their held and confirmed ``ShiftSignup``s.

    The shifts and sessions a refusal names are labelled in the language of the page that
    shows it (the request's), else in ``language``.
    """
    language = _shown_in(language)
    return rules.Person(
        languages=frozenset(languages or ()),
        is_minor=age_group == AgeGroup.under_18,
        skills=frozenset(skills or ()),
        shifts=tuple(slot_of(s.shift, language) for s in current),
        shift_ids=frozenset(s.shift_id for s in current),
        sessions=session_slots(conference, sessions, language),
    )


def _shown_in(language):
    if has_request_context():
        locale = get_locale()
        if locale is not None and locale.language in ("ar", "en"):
            return locale.language
    return language


def needs_met(shifts):
    """For shifts with a language need: whether someone on it already speaks it."""
    wanted = [s for s in shifts if s.language_need]
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(ShiftSignup.shift_id, Volunteer.languages)
        .join(Volunteer, Volunteer.id == ShiftSignup.volunteer_id)
        .where(
            ShiftSignup.shift_id.in_([s.id for s in wanted]),
            ShiftSignup.status != SignupStatus.dropped,
        )
    )
    need = {s.id: s.language_need for s in wanted}
    met = {s.id: False for s in wanted}
    for shift_id, spoken in rows:
        if need[shift_id] in (spoken or ()):
            met[shift_id] = True
    return met


def check(conference, person, shifts, *, now, settings=None, deadline=False):
    """The refusals for ``person`` taking each of ``shifts`` (together): shift id → Refusal.

    Shifts are taken one after another, so two chosen shifts that overlap each other are
    refused as such. With ``deadline``, shifts starting within the change deadline are
    refused too (changes from the private link).
    """
    settings = settings or settings_of(conference)
    limits = limits_of(conference, settings)
    is_open = settings.is_open(now)
    met = needs_met(shifts)
    refusals = {}
    taken = person
    cutoff = now + timedelta(hours=settings.change_deadline_hours)
    for shift in sorted(shifts, key=lambda s: (s.starts_at, s.id)):
        if deadline and is_open and shift.starts_at < cutoff:
            refusal = rules.Refusal(rules.Reason.deadline)
        else:
            refusal = rules.refusal(
                taken, shift_facts(shift, met.get(shift.id, True)), limits, is_open=is_open
            )
        if refusal is not None:
            refusals[shift.id] = refusal
            continue
        taken = rules.Person(
            languages=taken.languages,
            is_minor=taken.is_minor,
            skills=taken.skills,
            shifts=(*taken.shifts, slot_of(shift)),
            shift_ids=taken.shift_ids | {shift.id},
            sessions=taken.sessions,
        )
    return refusals
