"""The shift rules, in one function that says why it refuses (``refusal``).

Pure: it reads plain values (``Person``, ``Slot``, ``Limits``) and touches no database,
so the sign-up page, the private link, the coordinators' pages and the tests all ask the
same question the same way. ``services`` gathers the values under the shifts' locks.

Times are naive UTC datetimes. Back to back (one shift ends when the next starts) is not
an overlap; the rest rule counts back-to-back shifts, and shifts with a gap shorter than
the minimum break, as one stretch of work.
"""

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext


class Reason(enum.Enum):
    closed = "closed"  # the sign-up window is closed
    deadline = "deadline"  # too close to the shift to add or drop it from the private link
    already = "already"  # already signed up for this shift
    adults_only = "adults_only"
    language = "language"  # the role needs a language they do not speak
    skill = "skill"  # the role needs a skill or training they did not declare
    full = "full"
    language_need = "language_need"  # the last places are kept for a speaker the shift needs
    overlap = "overlap"  # overlaps one of their shifts
    session = "session"  # overlaps a programme session they want to attend
    rest = "rest"  # too long without the minimum break
    daily = "daily"  # over the daily maximum


MESSAGES = {
    Reason.closed: _l("Volunteer sign-up is closed."),
    Reason.deadline: _l("This shift starts too soon to change it here: contact the organizers."),
    Reason.already: _l("You have already signed up for this shift."),
    Reason.adults_only: _l("This role is for volunteers aged 18 or over."),
    Reason.language: _l("This role needs volunteers who speak %(languages)s."),
    Reason.skill: _l("This role needs: %(skill)s."),
    Reason.full: _l("This shift is full."),
    Reason.language_need: _l(
        "The last place on this shift is kept for someone who speaks %(languages)s."
    ),
    Reason.overlap: _l("It overlaps your shift %(other)s."),
    Reason.session: _l("It overlaps a session you want to attend: %(other)s."),
    # The lengths are phrases (``duration``, ``minutes``), each with its plural form.
    Reason.rest: _l(
        "It would make %(stretch)s of shifts without a break of at least %(pause)s "
        "(the most is %(limit)s in a row)."
    ),
    Reason.daily: _l("It would make %(worked)s of shifts that day (the most is %(limit)s)."),
}


@dataclass(frozen=True)
class Refusal:
    """Why a shift was refused: a ``Reason`` and the values its message names."""

    reason: Reason
    values: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def message(self):
        return MESSAGES[self.reason] % self.values if self.values else MESSAGES[self.reason]

    def __str__(self):
        return str(self.message)


@dataclass(frozen=True)
class Slot:
    """A stretch of time with a label to name it in a refusal."""

    starts_at: datetime
    ends_at: datetime
    label: str = ""

    def overlaps(self, other):
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class ShiftFacts:
    """What the rules need of a shift, read under its lock."""

    id: int
    slot: Slot
    max_people: int
    taken: int
    role_languages: tuple = ()
    adults_only: bool = False
    skill_role: str | None = None  # the role's key when the role needs a skill
    skill_label: str = ""
    language_need: str | None = None
    need_met: bool = True  # someone on the shift already speaks ``language_need``


@dataclass(frozen=True)
class Person:
    """What the rules need of a volunteer."""

    languages: frozenset = frozenset()
    is_minor: bool = False
    skills: frozenset = frozenset()  # keys of the roles whose skill they have
    shifts: tuple = ()  # Slots of the shifts they hold (``Slot.label`` names each)
    shift_ids: frozenset = frozenset()
    sessions: tuple = ()  # Slots of the sessions they want to attend


@dataclass(frozen=True)
class Limits:
    max_consecutive: timedelta = timedelta(hours=4)
    min_break: timedelta = timedelta(minutes=30)
    max_daily: timedelta = timedelta(hours=8)
    # A function from a naive UTC datetime to the conference's local date (the day a
    # shift counts towards).
    local_day: object = None


LANGUAGE_NAMES = {"ar": _l("Arabic"), "en": _l("English")}


def language_names(codes):
    """``["ar", "en"]`` in the user's words: "Arabic and English"."""
    names = [str(LANGUAGE_NAMES.get(code, code)) for code in codes]
    if len(names) <= 1:
        return "".join(names)
    return str(_l("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1]))


def refusal(person, shift, limits, *, is_open=True):
    """Why ``person`` may not take ``shift``, or ``None`` when they may.

    The first reason that applies, in the order a person can do something about it:
    the window, a repeat, eligibility, places, then their own time.
    """
    if not is_open:
        return Refusal(Reason.closed)
    if shift.id in person.shift_ids:
        return Refusal(Reason.already)
    if shift.adults_only and person.is_minor:
        return Refusal(Reason.adults_only)
    missing = [code for code in shift.role_languages if code not in person.languages]
    if missing:
        return Refusal(Reason.language, {"languages": language_names(shift.role_languages)})
    if shift.skill_role is not None and shift.skill_role not in person.skills:
        return Refusal(Reason.skill, {"skill": shift.skill_label})
    if shift.taken >= shift.max_people:
        return Refusal(Reason.full)
    if (
        shift.language_need
        and not shift.need_met
        and shift.language_need not in person.languages
        and shift.max_people - shift.taken <= 1
    ):
        return Refusal(Reason.language_need, {"languages": language_names([shift.language_need])})
    for other in person.shifts:
        if other.overlaps(shift.slot):
            return Refusal(Reason.overlap, {"other": other.label})
    for session in person.sessions:
        if session.overlaps(shift.slot):
            return Refusal(Reason.session, {"other": session.label})
    return _time_refusal(person, shift, limits)


def _time_refusal(person, shift, limits):
    slots = sorted([*person.shifts, shift.slot], key=lambda s: s.starts_at)
    day = limits.local_day or (lambda moment: moment.date())
    their_day = day(shift.slot.starts_at)
    daily = sum(
        (s.ends_at - s.starts_at for s in slots if day(s.starts_at) == their_day), timedelta()
    )
    if daily > limits.max_daily:
        return Refusal(
            Reason.daily, {"worked": duration(daily), "limit": duration(limits.max_daily)}
        )
    for start, end in stretches(slots, limits.min_break):
        if start <= shift.slot.starts_at < end and end - start > limits.max_consecutive:
            return Refusal(
                Reason.rest,
                {
                    "stretch": duration(end - start),
                    "pause": minutes(limits.min_break),
                    "limit": duration(limits.max_consecutive),
                },
            )
    return None


def stretches(slots, min_break):
    """Merge ``slots`` (sorted by start) into stretches of work: a gap shorter than
    ``min_break`` does not end one. Yields ``(start, end)``."""
    start = end = None
    for slot in slots:
        if start is None:
            start, end = slot.starts_at, slot.ends_at
        elif slot.starts_at - end < min_break:
            end = max(end, slot.ends_at)
        else:
            yield start, end
            start, end = slot.starts_at, slot.ends_at
    if start is not None:
        yield start, end


def duration(delta):
    """A length in hours as words with its plural form: "6 hours", "ساعتان"; a fraction
    ("4.5") takes the form of many (Arabic's "other")."""
    hours = delta.total_seconds() / 3600
    form = int(hours) if hours == int(hours) else 100
    return lazy_ngettext("%(hours)s hour", "%(hours)s hours", form, hours=_hours(delta))


def minutes(delta):
    return lazy_ngettext("%(num)s minute", "%(num)s minutes", int(delta.total_seconds() // 60))


def _hours(delta):
    hours = delta.total_seconds() / 3600
    return f"{hours:g}" if hours != int(hours) else str(int(hours))
