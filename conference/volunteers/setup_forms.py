"""Back-office forms of the volunteers' set-up: a role, a shift, the settings, the tracks a
coordinator coordinates.

They check shape only (a name given, a time that is a time, a minimum under the maximum);
what needs the database (a maximum below the places taken, a track outside the user's
scopes) is the services' and comes back as a ``SetupError``. Choices that depend on the
conference or the user (tracks, roles, days) are set by the view with ``set_choices``.
"""

import re
import unicodedata
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    NumberRange,
    ValidationError,
)

from conference.fields import MultiCheckboxField, single_line, text_in
from conference.i18n import LANGUAGE_NAMES

NAME_MAX = 120
TEXT_MAX = 1000
PEOPLE_MAX = 1000
CLOCK = re.compile(r"^(\d{1,2})[:٫.](\d{2})$")
LANGUAGE_CHOICES = [
    SelectChoice(code, name, {"lang": code}) for code, name in LANGUAGE_NAMES.items()
]


def _digits(value):
    """Any script's decimal digits as 0–9 (Arabic-Indic digits are typed too)."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() else c for c in (value or "").strip()
    )


def parse_clock(value):
    """A time of day from "09:00" or "9.00" (any digits); ``None`` if it is not one."""
    match = CLOCK.match(_digits(value))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_local_moment(value):
    """A local date and time from "2022-03-01T09:00" (what a datetime-local input sends)."""
    value = _digits(value).replace(" ", "T")
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


class ClockField(StringField):
    """A time of day typed as "09:00": ``data`` is a ``time`` or ``None``."""

    def __init__(self, label, *, missing, wrong, **kwargs):
        kwargs.setdefault("render_kw", {"type": "time", "dir": "ltr", "autocomplete": "off"})
        super().__init__(label, filters=[single_line], **kwargs)
        self.missing, self.wrong = missing, wrong

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def pre_validate(self, form):
        if not self.raw_data or not (self.raw_data[0] or "").strip():
            self.data = None
            raise ValidationError(self.missing)
        self.data = parse_clock(self.raw_data[0])
        if self.data is None:
            raise ValidationError(self.wrong)


class MomentField(StringField):
    """An optional local date and time ("2022-03-01T09:00"): a ``datetime`` or ``None``."""

    def __init__(self, label, *, wrong, **kwargs):
        kwargs.setdefault(
            "render_kw", {"type": "datetime-local", "dir": "ltr", "autocomplete": "off"}
        )
        super().__init__(label, filters=[single_line], **kwargs)
        self.wrong = wrong

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m-%dT%H:%M") if isinstance(self.data, datetime) else ""

    def pre_validate(self, form):
        text = (self.raw_data or [""])[0] or ""
        if not text.strip():
            self.data = None
            return
        self.data = parse_local_moment(text)
        if self.data is None:
            raise ValidationError(self.wrong)


class WholeNumberField(IntegerField):
    """A whole number typed with any digits; a clear message when it is not one."""

    def __init__(self, label, *, missing, **kwargs):
        kwargs.setdefault(
            "render_kw", {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}
        )
        super().__init__(
            label, validators=[InputRequired(missing)] + kwargs.pop("validators", []), **kwargs
        )
        self.missing = missing

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = _digits(valuelist[0]).replace(",", "")
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(self.missing) from None


def _text(label, *, required=None, limit=NAME_MAX, too_long, lang, area=False):
    return text_in(lang, label, too_long=too_long, limit=limit, required=required, area=area)


# ---------------------------------------------------------------------------------------
# A role


class RoleForm(FlaskForm):
    """A role's bilingual texts, its track and what it asks of volunteers."""

    name_en = _text(
        _l("Name in English"),
        required=_l("Enter the role's name in English"),
        too_long=_l("Name must be 120 characters or fewer"),
        lang="en",
    )
    name_ar = _text(
        _l("Name in Arabic"),
        required=_l("Enter the role's name in Arabic"),
        too_long=_l("Name must be 120 characters or fewer"),
        lang="ar",
    )
    description_en = _text(
        _l("Description in English (optional)"),
        limit=TEXT_MAX,
        too_long=_l("Description must be 1,000 characters or fewer"),
        lang="en",
        area=True,
    )
    description_ar = _text(
        _l("Description in Arabic (optional)"),
        limit=TEXT_MAX,
        too_long=_l("Description must be 1,000 characters or fewer"),
        lang="ar",
        area=True,
    )
    track = SelectField(_l("Track"), validate_choice=False)
    languages = MultiCheckboxField(
        _l("Languages every volunteer in this role speaks (optional)"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
    )
    adults_only = BooleanField(_l("Adults only (18 and over)"))
    skill_en = _text(
        _l("Skill or training in English (optional)"),
        limit=200,
        too_long=_l("Skill must be 200 characters or fewer"),
        lang="en",
    )
    skill_ar = _text(
        _l("Skill or training in Arabic (optional)"),
        limit=200,
        too_long=_l("Skill must be 200 characters or fewer"),
        lang="ar",
    )

    def set_choices(self, tracks):
        """``tracks``: ``[(value, label)]`` the user may choose ("" for the general roles)."""
        self.track.choices = [SelectChoice(value, label) for value, label in tracks]

    def validate_track(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Select a track from the list"))

    def validate_languages(self, field):
        if not set(field.data or ()) <= set(LANGUAGE_NAMES):
            raise ValidationError(_l("Select languages from the list"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if bool(self.skill_en.data) != bool(self.skill_ar.data) and not self.skill_ar.errors:
            missing = self.skill_ar if self.skill_en.data else self.skill_en
            missing.errors = [
                *missing.errors,
                _l("Enter the skill in both languages, or in neither"),
            ]
            return False
        return valid

    def values(self):
        skill = {"en": self.skill_en.data, "ar": self.skill_ar.data}
        return {
            "name": {"en": self.name_en.data, "ar": self.name_ar.data},
            "description": {"en": self.description_en.data, "ar": self.description_ar.data},
            "track": self.track.data or None,
            "languages": [code for code in LANGUAGE_NAMES if code in (self.languages.data or ())],
            "adults_only": bool(self.adults_only.data),
            "skill": skill if skill["en"] else None,
        }

    def fill(self, role):
        """Show ``role``'s values (a GET of the edit page)."""
        for language in LANGUAGE_NAMES:
            getattr(self, f"name_{language}").data = role.name.get(language, "")
            getattr(self, f"description_{language}").data = (role.description or {}).get(
                language, ""
            )
            getattr(self, f"skill_{language}").data = (role.skill or {}).get(language, "")
        self.track.data = role.track_key or ""
        self.languages.data = list(role.languages or ())
        self.adults_only.data = role.adults_only


# ---------------------------------------------------------------------------------------
# A shift


class ShiftForm(FlaskForm):
    """A shift: its role, day, local start and end, place and how many people."""

    role = SelectField(_l("Role"), validate_choice=False)
    day = SelectField(_l("Day"), validate_choice=False)
    starts = ClockField(
        _l("Starts at"),
        description=_l("Local time on a 24-hour clock, like 09:00"),
        missing=_l("Enter the time the shift starts"),
        wrong=_l("Enter the start time as hours and minutes, like 09:00"),
    )
    ends = ClockField(
        _l("Ends at"),
        description=_l("Local time on a 24-hour clock, like 13:00"),
        missing=_l("Enter the time the shift ends"),
        wrong=_l("Enter the end time as hours and minutes, like 13:00"),
    )
    place_en = _text(
        _l("Place in English"),
        required=_l("Enter the place in English"),
        too_long=_l("Place must be 120 characters or fewer"),
        lang="en",
    )
    place_ar = _text(
        _l("Place in Arabic"),
        required=_l("Enter the place in Arabic"),
        too_long=_l("Place must be 120 characters or fewer"),
        lang="ar",
    )
    min_people = WholeNumberField(
        _l("Minimum people"),
        missing=_l("Enter the minimum number of people as a whole number"),
        validators=[
            NumberRange(min=0, max=PEOPLE_MAX, message=_l("Enter a minimum from 0 to 1,000"))
        ],
    )
    max_people = WholeNumberField(
        _l("Maximum people"),
        missing=_l("Enter the maximum number of people as a whole number"),
        validators=[
            NumberRange(min=1, max=PEOPLE_MAX, message=_l("Enter a maximum from 1 to 1,000"))
        ],
    )
    language_need = RadioField(
        _l("Language need (optional)"),
        description=_l("At least one volunteer on the shift speaks it"),
        choices=[SelectChoice("", _l("None"))] + LANGUAGE_CHOICES,
        default="",
        validate_choice=False,
    )

    def set_choices(self, roles, days):
        """``roles``: ``[(id, label)]``; ``days``: ``[(number, label)]`` of the conference."""
        self.role.choices = [SelectChoice(str(value), label) for value, label in roles]
        self.day.choices = [SelectChoice(str(value), label) for value, label in days]

    def validate_role(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Select a role from the list"))

    def validate_day(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Select a day of the conference"))

    def validate_ends(self, field):
        if isinstance(field.data, time) and isinstance(self.starts.data, time):
            if field.data <= self.starts.data:
                raise ValidationError(_l("The end time must be after the start time"))

    def validate_max_people(self, field):
        low = self.min_people.data
        if isinstance(low, int) and isinstance(field.data, int) and low > field.data:
            raise ValidationError(_l("The maximum must be at least the minimum"))

    def validate_language_need(self, field):
        if (field.data or "") not in ("", *LANGUAGE_NAMES):
            raise ValidationError(_l("Select a language from the list"))

    def values(self):
        return {
            "role_id": int(self.role.data),
            "day": int(self.day.data),
            "starts": self.starts.data,
            "ends": self.ends.data,
            "place": {"en": self.place_en.data, "ar": self.place_ar.data},
            "min_people": self.min_people.data,
            "max_people": self.max_people.data,
            "language_need": self.language_need.data or None,
        }


# ---------------------------------------------------------------------------------------
# The settings and the coordinators' tracks


def _hours(label, missing, top, message, low=1, **kwargs):
    return WholeNumberField(
        label,
        missing=missing,
        validators=[NumberRange(min=low, max=top, message=message)],
        **kwargs,
    )


class SettingsForm(FlaskForm):
    """The sign-up window and the shift rules."""

    signup_open = RadioField(
        _l("Volunteer sign-up"),
        choices=[SelectChoice("open", _l("Open")), SelectChoice("closed", _l("Closed"))],
        validate_choice=False,
    )
    opens_at = MomentField(
        _l("Opens at (optional)"),
        description=_l("Local date and time; empty: as soon as sign-up is open"),
        wrong=_l("Enter the opening as a date and time, like 2022-03-01 09:00"),
    )
    closes_at = MomentField(
        _l("Closes at (optional)"),
        description=_l("Local date and time; empty: until sign-up is closed"),
        wrong=_l("Enter the closing as a date and time, like 2022-03-15 18:00"),
    )
    change_deadline_hours = _hours(
        _l("Change deadline, in hours"),
        _l("Enter the change deadline as a whole number of hours"),
        720,
        _l("Enter a change deadline from 0 to 720 hours"),
        low=0,
        description=_l("Volunteers add or drop shifts until this long before a shift starts"),
    )
    max_consecutive_hours = _hours(
        _l("Most consecutive hours"),
        _l("Enter the most consecutive hours as a whole number"),
        24,
        _l("Enter from 1 to 24 consecutive hours"),
        description=_l("After this many hours of shifts in a row, a break"),
    )
    min_break_minutes = _hours(
        _l("Shortest break, in minutes"),
        _l("Enter the shortest break as a whole number of minutes"),
        720,
        _l("Enter a break from 0 to 720 minutes"),
        low=0,
    )
    max_daily_hours = _hours(
        _l("Most hours in a day"),
        _l("Enter the most hours in a day as a whole number"),
        24,
        _l("Enter from 1 to 24 hours in a day"),
    )
    guardian_hold_hours = _hours(
        _l("Places held for a guardian, in hours"),
        _l("Enter the hours places are held as a whole number"),
        720,
        _l("Enter from 1 to 720 hours for a guardian"),
        description=_l("How long a minor's places wait for their parent or guardian"),
    )
    reminder_hours = _hours(
        _l("Reminder, in hours before a shift"),
        _l("Enter the reminder's hours as a whole number"),
        168,
        _l("Enter a reminder from 1 to 168 hours before a shift"),
    )

    def validate_signup_open(self, field):
        if field.data not in ("open", "closed"):
            raise ValidationError(_l("Select whether sign-up is open or closed"))

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The closing must be after the opening"))

    def values(self):
        return {
            "signup_open": self.signup_open.data == "open",
            "opens_at": self.opens_at.data,
            "closes_at": self.closes_at.data,
            "change_deadline_hours": self.change_deadline_hours.data,
            "max_consecutive_minutes": self.max_consecutive_hours.data * 60,
            "min_break_minutes": self.min_break_minutes.data,
            "max_daily_minutes": self.max_daily_hours.data * 60,
            "guardian_hold_hours": self.guardian_hold_hours.data,
            "reminder_hours": self.reminder_hours.data,
        }


class ScopesForm(FlaskForm):
    """The tracks one coordinator coordinates."""

    user = HiddenField()
    scopes = MultiCheckboxField(_l("Coordinates"), validate_choice=False)

    def set_choices(self, scopes):
        self.scopes.choices = [SelectChoice(value, label) for value, label in scopes]

    def validate_scopes(self, field):
        if not set(field.data or ()) <= {choice.value for choice in field.choices}:
            raise ValidationError(_l("Select tracks from the list"))


class DeleteShiftForm(FlaskForm):
    """The confirmation of a shift's deletion, with the number of people it showed."""

    people = HiddenField()

    def agreed(self):
        """How many people the user agreed to take off (0 for anything unexpected)."""
        text = self.people.data or ""
        return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 0
