"""Forms of the attendee pages: the list's filters, an organizer's corrections, capacities.

They check shape only; the rules (an address already registered, a capacity below the
seats taken) are the services' and come back as ``RegistrationError`` messages.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from conference import fields
from conference.i18n import LANGUAGE_NAMES
from conference.manage.segment import SegmentForm

SEARCH_MAX = 100
CAPACITY_MAX = 100_000


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
