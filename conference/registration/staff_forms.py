"""Back-office forms of the attendee pages: the attendee filters (one definition for the
list, the export and bulk email), an organizer's corrections, capacities, the export.

Organizers see the same filter words in all three, and a link from the list carries its
filters to the other two (``preset``). Values that are not options are refused (GET) or
dropped (links), never passed to the query. The forms check shape only; the rules (an
address already registered, a capacity below the seats taken) are the services' and come
back as ``RegistrationError`` messages.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from conference import fields
from conference.fields import MultiCheckboxField, single_line
from conference.i18n import LANGUAGE_NAMES, translate
from conference.registration.exports import COLUMNS, DEFAULT_COLUMNS
from conference.registration.queries import Filters

CAPACITY_MAX = 100_000

SEARCH_MAX = 100
FILTER_NAMES = ("q", "track", "status", "language", "checked_in")
STATUS_CHOICES = [
    SelectChoice("", _l("Active: confirmed or waiting")),
    SelectChoice("confirmed", _l("Confirmed seat")),
    SelectChoice("waitlisted", _l("On a waiting list")),
    SelectChoice("cancelled", _l("Cancelled")),
]


def _one_of(choices, message):
    return AnyOf([choice.value for choice in choices], message)


class SegmentForm(FlaskForm):
    """Search text and filters; build it, then call ``set_tracks``."""

    q = SearchField(
        _l("Name or email address"),
        description=_l("Part of a name, in Arabic or English letters, or of an address"),
        filters=[single_line],
        validators=[Length(max=SEARCH_MAX, message=_l("Search for 100 characters or fewer"))],
        render_kw={"dir": "auto", "spellcheck": "false", "autocomplete": "off"},
    )
    track = SelectField(_l("Track"), default="", validate_choice=False)
    status = SelectField(
        _l("Status"),
        default="",
        choices=STATUS_CHOICES,
        validate_choice=False,
        validators=[_one_of(STATUS_CHOICES, _l("Select a status"))],
    )
    language = SelectField(
        _l("Email language"),
        default="",
        choices=[SelectChoice("", _l("Either language"))]
        + [SelectChoice(code, name, {"lang": code}) for code, name in LANGUAGE_NAMES.items()],
        validate_choice=False,
        validators=[AnyOf(["", *LANGUAGE_NAMES], _l("Select a language"))],
    )
    checked_in = SelectField(
        _l("Check-in"),
        default="",
        choices=[
            SelectChoice("", _l("Checked in or not")),
            SelectChoice("yes", _l("Checked in")),
            SelectChoice("no", _l("Not checked in")),
        ],
        validate_choice=False,
        validators=[AnyOf(["", "yes", "no"], _l("Select checked in or not"))],
    )

    def set_tracks(self, tracks):
        """Offer ``tracks`` (a conference's) as the track filter's options."""
        self.track.choices = [SelectChoice("", _l("Any track"))] + [
            SelectChoice(track.key, translate(track.name)) for track in tracks
        ]
        self.track.validators = [_one_of(self.track.choices, _l("Select a track from the list"))]
        return self

    def preset(self, values):
        """Fill the filters from ``values`` (a link's query string), dropping non-options."""
        for name in FILTER_NAMES:
            field = getattr(self, name)
            value = str(values.get(name) or "").strip()
            if name == "q":
                field.data = single_line(value)[:SEARCH_MAX]
            elif value in {choice.value for choice in field.choices}:
                field.data = value
        return self

    def filters(self):
        """The ``queries.Filters`` the answers describe."""
        return Filters(**{name: getattr(self, name).data or "" for name in FILTER_NAMES})


# ---------------------------------------------------------------------------------------
# The attendee list, an organizer's corrections, capacities


class AttendeeFilterForm(SegmentForm):
    """The list's search box and filters, read from the query string (GET, no CSRF token)."""

    class Meta:
        csrf = False

    @classmethod
    def for_conference(cls, conference, formdata):
        """Return the form over ``formdata`` (the query string), with ``conference``'s tracks."""
        return cls(formdata=formdata).set_tracks(conference.tracks)


class AttendeeDetailsForm(FlaskForm):
    """An organizer's corrections to someone's details."""

    full_name = StringField(
        _l("Full name"),
        filters=[fields.single_line],
        validators=[
            DataRequired(_l("Enter their full name")),
            Length(max=200, message=_l("Full name must be 200 characters or fewer")),
        ],
        render_kw={"spellcheck": "false", "dir": "auto", "autocomplete": "off"},
    )
    email = EmailField(
        _l("Email address"),
        description=_l(
            "Changing it sends the confirmation to the new address; "
            "links sent to the old one stop working"
        ),
        filters=[fields.email_text],
        validators=[
            DataRequired(_l("Enter an email address")),
            Length(max=254, message=_l("Email address must be 254 characters or fewer")),
            fields.EmailAddress(
                _l("Enter an email address in the correct format, like name@example.com")
            ),
        ],
        render_kw={"spellcheck": "false", "dir": "ltr", "autocomplete": "off"},
    )
    phone = TelField(
        _l("Phone number (optional)"),
        filters=[fields.single_line],
        validators=[
            Optional(),
            Length(max=40, message=_l("Phone number must be 40 characters or fewer")),
            fields.PhoneNumber(_l("Enter a phone number, like +1 202 555 0143")),
        ],
        render_kw={"dir": "ltr", "autocomplete": "off"},
    )
    city = StringField(
        _l("City (optional)"),
        filters=[fields.single_line],
        validators=[Length(max=100, message=_l("City must be 100 characters or fewer"))],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )
    region = StringField(
        _l("State or region (optional)"),
        filters=[fields.single_line],
        validators=[Length(max=100, message=_l("State or region must be 100 characters or fewer"))],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )
    language = RadioField(
        _l("Email language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        invalid_choice_message=_l("Select the language of their emails"),
    )
    needs = TextAreaField(
        _l("Accessibility or dietary needs (optional)"),
        filters=[fields.multi_line],
        validators=[
            Length(
                max=2000,
                message=_l("Accessibility or dietary needs must be 2,000 characters or fewer"),
            )
        ],
        render_kw={"dir": "auto", "rows": 4},
    )
    photo_consent = BooleanField(_l("They agree to photos and videos of them at the conference"))

    @classmethod
    def for_registration(cls, registration):
        """The form over the submitted answers, or filled in with ``registration``'s details."""
        return cls(obj=registration)

    def details(self):
        """The keyword arguments of ``attendee_services.change_details``."""
        return {
            name: getattr(self, name).data
            for name in ("email", "full_name", "phone", "city", "region", "language", "needs")
        } | {"photo_consent": self.photo_consent.data}


class SeatsField(IntegerField):
    """A whole number of seats (any script's digits); anything else gets a plain message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the number of seats as a whole number, like 150")) from None


class CapacityForm(FlaskForm):
    """A new number of seats for one track."""

    track = HiddenField()
    capacity = SeatsField(
        _l("Seats"),
        validators=[
            InputRequired(_l("Enter the number of seats")),
            NumberRange(
                min=0,
                max=CAPACITY_MAX,
                message=_l("Enter a number of seats from 0 to 100,000"),
            ),
        ],
        render_kw={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"},
    )


# ---------------------------------------------------------------------------------------
# The export


def _at_least_one(form, field):
    if not field.data:
        raise ValidationError(_l("Choose at least one column"))


class ExportForm(SegmentForm):
    """The same filters as the attendee list, the columns, and the file format."""

    columns = MultiCheckboxField(
        _l("Columns"),
        description=_l("Choose only what you need."),
        choices=[SelectChoice(key, label) for key, (label, _attrs) in COLUMNS.items()],
        default=DEFAULT_COLUMNS,
        validators=[_at_least_one],
    )
    file_format = RadioField(
        _l("File format"),
        choices=[
            SelectChoice("csv", _l("CSV: opens in Excel, Numbers, LibreOffice and Google Sheets")),
            SelectChoice("xlsx", _l("Excel workbook (.xlsx)")),
        ],
        default="csv",
    )
