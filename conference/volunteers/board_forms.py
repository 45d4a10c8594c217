"""Forms of the coordinators' pages: the board's and the list's filters (GET, no CSRF
token), and the actions on a team (attendance, removal, a move, a message, an export).
They check shape only; the rules come back from the services as ``VolunteerError``.
"""

import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from conference.fields import multi_line, single_line
from conference.i18n import format_day, translate
from conference.volunteers.staff_services import BODY_MAX, SUBJECT_MAX

SEARCH_MAX = 100
REASON_MAX = 300


def _track_choices(scope_choices):
    return [SelectChoice("", _l("Every track"))] + [
        SelectChoice(key, translate(track.name) if track is not None else _l("Whole conference"))
        for key, track in scope_choices
    ]


def _day_choices(days):
    return [SelectChoice("", _l("Every day"))] + [
        SelectChoice(day.isoformat(), format_day(day)) for day in days
    ]


def _only(field, message):
    field.validators = [AnyOf([choice.value for choice in field.choices], message)]


class _Filters(FlaskForm):
    class Meta:
        csrf = False

    day = SelectField(_l("Day"), default="", validate_choice=False)
    track = SelectField(_l("Track"), default="", validate_choice=False)

    def offer(self, *, days, scope_choices):
        self.day.choices = _day_choices(days)
        _only(self.day, _l("Select a day from the list"))
        self.track.choices = _track_choices(scope_choices)
        _only(self.track, _l("Select a track from the list"))
        return self

    def chosen_day(self):
        return date.fromisoformat(self.day.data) if self.day.data else None


class BoardFilterForm(_Filters):
    """The board's filters: day, track, and under-staffed shifts only."""

    under = BooleanField(_l("Under-staffed shifts only"))


class PeopleFilterForm(_Filters):
    """The volunteer list's search and filters."""

    q = SearchField(
        _l("Name or email address"),
        filters=[single_line],
        validators=[Length(max=SEARCH_MAX, message=_l("Search for 100 characters or fewer"))],
        render_kw={"dir": "auto", "spellcheck": "false", "autocomplete": "off"},
    )
    role = SelectField(_l("Role"), default="", validate_choice=False)

    def offer_roles(self, roles):
        self.role.choices = [SelectChoice("", _l("Every role"))] + [
            SelectChoice(role.key, translate(role.name)) for role in roles
        ]
        _only(self.role, _l("Select a role from the list"))
        return self


ATTENDANCE_CHOICES = ("arrived", "no_show", "clear")


class AttendanceForm(FlaskForm):
    """Arrived, did not come, or take the mark back: the button pressed says which."""

    mark = HiddenField(validators=[AnyOf(ATTENDANCE_CHOICES)])


class RemoveForm(FlaskForm):
    """Take someone off a shift: an optional reason, which their email gives."""

    reason = StringField(
        _l("Reason (optional)"),
        description=_l("Their email tells them the shift was cancelled and gives this reason"),
        filters=[single_line],
        validators=[Length(max=REASON_MAX, message=_l("Reason must be 300 characters or fewer"))],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )


class MoveForm(RemoveForm):
    """Move someone to another shift of the coordinator's."""

    to_shift = RadioField(_l("Move them to"), validate_choice=False, coerce=str)

    def offer(self, shifts, label):
        self.to_shift.choices = [SelectChoice(str(s.id), label(s)) for s in shifts]
        _only(self.to_shift, _l("Select a shift from the list"))
        self.to_shift.validators.insert(0, DataRequired(_l("Select a shift to move them to")))
        return self


class TeamEmailForm(FlaskForm):
    """A message to everyone on a shift."""

    subject = StringField(
        _l("Subject"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Enter a subject")),
            Length(
                max=SUBJECT_MAX,
                message=_l("The subject must be 150 characters or fewer"),
            ),
        ],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )
    body = TextAreaField(
        _l("Message"),
        description=_l("Sent as you write it, with the shift's time and place above it"),
        filters=[multi_line],
        validators=[
            DataRequired(_l("Enter the message")),
            Length(
                max=BODY_MAX,
                message=_l("The message must be 5,000 characters or fewer"),
            ),
        ],
        render_kw={"dir": "auto", "rows": 8},
    )
    # One id per opened form: sending it twice queues the messages once.
    submission_id = HiddenField(
        default=lambda: uuid.uuid4().hex,
        validators=[Regexp(r"^[0-9a-f]{32}$", message=_l("This page timed out."))],
    )


class ExportForm(FlaskForm):
    """What to export (every shift, or one) and as what."""

    shift = SelectField(_l("Shifts"), default="", validate_choice=False)
    file_format = RadioField(
        _l("File format"),
        choices=[
            SelectChoice("csv", _l("CSV: opens in Excel, Numbers, LibreOffice and Google Sheets")),
            SelectChoice("xlsx", _l("Excel workbook (.xlsx)")),
        ],
        default="csv",
        validators=[AnyOf(["csv", "xlsx"], _l("Select a file format"))],
    )

    def offer(self, shifts, label):
        self.shift.choices = [SelectChoice("", _l("Every shift I coordinate"))] + [
            SelectChoice(str(s.id), label(s)) for s in shifts
        ]
        _only(self.shift, _l("Select a shift from the list"))
        return self
