"""The volunteer forms: the shape of each answer, in the visitor's language.

Forms check shape only (given, not too long, one of the options offered). The rules that
need the database (places, overlaps, the rest rule, the window) are ``services``' and
``rules``'; the views show their answers next to the shifts they concern.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, StopValidation

from conference.fields import MultiCheckboxField, email_text, single_line
from conference.i18n import LANGUAGE_NAMES, translate
from conference.registration.forms import (
    EMAIL_MAX,
    NAME_MAX,
    email_field,
    full_name_field,
    language_field,
    new_submission_id,
    phone_field,
    valid_submission_id,
)
from conference.volunteers import catalog
from conference.volunteers.models import AgeGroup
from conference.volunteers.services import TSHIRT_SIZES


def shift_id(value):
    """A submitted shift id as a number; anything else as 0, which no shift has."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


class OfferedShifts:
    """At least one shift, every one of them offered."""

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(_l("Select at least one shift"))
        offered = {choice.value for choice in field.choices or []}
        if not set(field.data) <= offered:
            raise StopValidation(_l("Select shifts from the list"))


class Offered:
    """Only options offered (none is fine): an unknown value is not echoed back."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        offered = {choice.value for choice in field.choices or []}
        if not set(field.data or ()) <= offered:
            raise StopValidation(self.message)


def shifts_field():
    return MultiCheckboxField(
        _l("Which shifts can you take?"),
        description=_l("Select all that you can take"),
        coerce=shift_id,
        validate_choice=False,
        validators=[OfferedShifts()],
    )


AGE_GROUPS = [
    SelectChoice(AgeGroup.under_18.value, _l("Under 18")),
    SelectChoice(AgeGroup.adult_18_24.value, _l("18 to 24")),
    SelectChoice(AgeGroup.adult_25_plus.value, _l("25 or over")),
]


class SignupForm(FlaskForm):
    """The volunteer sign-up, on one page."""

    full_name = full_name_field()
    email = email_field(_l("We will send your shifts and a private link to change them here"))
    phone = phone_field()
    languages = MultiCheckboxField(
        _l("Which languages do you speak?"),
        description=_l("Select all that apply"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validate_choice=False,
        validators=[Offered(_l("Select the languages you speak"))],
    )
    age_group = RadioField(
        _l("How old are you?"),
        choices=AGE_GROUPS,
        invalid_choice_message=_l("Select your age group"),
    )
    tshirt_size = SelectField(
        _l("T-shirt size (optional)"),
        choices=[SelectChoice("", _l("No T-shirt, thank you"))]
        # International size codes, read as their English letters.
        + [SelectChoice(size, size, render_kw={"lang": "en"}) for size in TSHIRT_SIZES],
        invalid_choice_message=_l("Select a T-shirt size from the list"),
    )
    language = language_field()
    guardian_name = StringField(
        _l("Your parent or guardian's full name"),
        filters=[single_line],
        validators=[
            Length(max=NAME_MAX, message=_l("Full name must be 200 characters or fewer")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "auto"},
    )
    guardian_email = EmailField(
        _l("Your parent or guardian's email address"),
        description=_l("We will ask them to confirm your shifts"),
        filters=[email_text],
        validators=[
            Length(max=EMAIL_MAX, message=_l("Email address must be 254 characters or fewer"))
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"},
    )
    sessions = MultiCheckboxField(
        _l("Programme sessions you want to attend (optional)"),
        description=_l("We will not offer you shifts at the same time"),
        validate_choice=False,
        validators=[Offered(_l("Select sessions from the programme"))],
    )
    skills = MultiCheckboxField(
        _l("Skills and training (optional)"),
        description=_l("Some roles need them: tick what you have or will do"),
        validate_choice=False,
        validators=[Offered(_l("Select skills from the list"))],
    )
    shifts = shifts_field()
    privacy = BooleanField(
        _l("I agree to the privacy notice"),
        validators=[DataRequired(_l("Confirm you agree to the privacy notice"))],
    )
    # Spam trap: hidden from people by CSS; a bot that fills it is shown success.
    website = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off"})
    # One per rendering of the form: a double-clicked submit signs up once.
    submission_id = HiddenField(filters=[valid_submission_id])

    @classmethod
    def for_conference(cls, conference, shifts, sessions, *, language):
        """The form offering ``shifts`` and ``sessions``; emails default to ``language``."""
        form = cls(language=language)
        offer(form, shifts)
        form.sessions.choices = [SelectChoice(s.key, translate(s.title)) for s in sessions]
        form.skills.choices = [
            SelectChoice(role.key, _("I have %(skill)s", skill=translate(role.skill)))
            for role in catalog.skill_roles(shifts)
        ]
        if not form.submission_id.data:
            form.submission_id.data = new_submission_id()
        return form

    @property
    def is_spam(self):
        return bool((self.website.data or "").strip())

    @property
    def is_minor(self):
        return self.age_group.data == AgeGroup.under_18.value

    def validate(self, extra_validators=None):
        """Validate; a volunteer under 18 also names their parent or guardian."""
        valid = super().validate(extra_validators)
        if not self.is_minor:
            return valid
        if not self.guardian_name.data and not self.guardian_name.errors:
            self.guardian_name.errors.append(_l("Enter your parent or guardian's full name"))
            valid = False
        if not self.guardian_email.data and not self.guardian_email.errors:
            self.guardian_email.errors.append(_l("Enter your parent or guardian's email address"))
            valid = False
        return valid

    def signup_values(self):
        """The keyword arguments of ``services.sign_up`` from the answers."""
        return {
            "full_name": self.full_name.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "languages": self.languages.data,
            "age_group": self.age_group.data,
            "language": self.language.data,
            "tshirt_size": self.tshirt_size.data or None,
            "skills": self.skills.data,
            "sessions": self.sessions.data,
            "guardian_name": self.guardian_name.data if self.is_minor else None,
            "guardian_email": self.guardian_email.data if self.is_minor else None,
            "privacy_accepted": self.privacy.data,
            "shift_ids": self.shifts.data,
            "submission_id": self.submission_id.data,
        }

    def show_error(self, message):
        """Put a service's message next to the field it is about (else above the form)."""
        for name, messages in SERVICE_MESSAGES.items():
            if any(str(m) == str(message) for m in messages):
                getattr(self, name).errors = [*getattr(self, name).errors, message]
                return
        self.form_errors.append(message)


def offer(form, shifts):
    """Offer ``shifts`` in ``form.shifts`` (labels are drawn by the shift picker)."""
    form.shifts.choices = [SelectChoice(shift.id, str(shift.id)) for shift in shifts]


# The messages of ``services.clean_values`` and ``sign_up``, by the field they are about.
SERVICE_MESSAGES = {
    "full_name": [_l("Enter your full name"), _l("Full name must be 200 characters or fewer")],
    "email": [_l("Enter an email address in the correct format, like name@example.com")],
    "languages": [_l("Select the languages you speak")],
    "age_group": [_l("Select your age group")],
    "tshirt_size": [_l("Select a T-shirt size from the list")],
    "privacy": [_l("Confirm you agree to the privacy notice")],
    "guardian_name": [_l("Enter your parent or guardian's full name")],
    "guardian_email": [
        _l("Enter your parent or guardian's email address in the correct format"),
        _l("Enter your parent or guardian's own email address, not yours"),
    ],
    "shifts": [_l("Select at least one shift"), _l("Select shifts from the list")],
}


class AddShiftsForm(FlaskForm):
    """Add shifts from the private link."""

    shifts = shifts_field()

    @classmethod
    def offering(cls, shifts):
        form = cls()
        offer(form, shifts)
        return form


class ResendLinkForm(FlaskForm):
    """Ask for the private link again."""

    email = email_field(_l("The address you signed up with"))
