"""The story forms: the shape of each answer, in the visitor's language.

Forms check shape (given, not too long, one of the options); ``submission`` checks the
rules again and says what is wrong, which the views put next to its field. Photos are
opened and re-encoded here (``images.process``) while the form validates, so a refused
photo gets the images module's message next to its own field and nothing typed is lost.
"""

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields import Label
from wtforms.validators import DataRequired, Length, StopValidation
from wtforms.widgets import DateInput

from conference import images
from conference.fields import Choices, MultiCheckboxField, email_text, multi_line, single_line
from conference.i18n import LANGUAGE_NAMES
from conference.registration.forms import (
    NAME_MAX,
    email_field,
    full_name_field,
    language_field,
    new_submission_id,
    track_choices,
    valid_submission_id,
)
from conference.showcase import submission
from conference.showcase.models import Credit

LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
CREDITS = [
    SelectChoice(Credit.full_name.value, _l("Their full name")),
    SelectChoice(Credit.initials.value, _l("Their initials only")),
    SelectChoice(Credit.anonymous.value, _l("No name: anonymous")),
]
PLACES = [
    SelectChoice("public", _l("On the For Syria website")),
    SelectChoice("sponsors", _l("In reports to the conference's sponsors")),
]
TOO_LONG_TITLE = _l("The title must be 200 characters or fewer")
TOO_LONG_STORY = _l("The story must be 10,000 characters or fewer")


def parse_date(value):
    """An ISO date typed or picked (``2027-05-31``), else ``None``."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class IsoDate:
    def __call__(self, form, field):
        if (field.data or "").strip() and parse_date(field.data) is None:
            raise StopValidation(_l("Enter the end date as a date, like 2027-12-31"))


def _title(label):
    return StringField(
        label,
        filters=[single_line],
        validators=[Length(max=submission.TITLE_MAX, message=TOO_LONG_TITLE)],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )


def _body(label, description):
    return TextAreaField(
        label,
        description=description,
        filters=[multi_line],
        validators=[Length(max=submission.BODY_MAX, message=TOO_LONG_STORY)],
        render_kw={"dir": "auto", "rows": 12},
    )


def _link(number):
    return URLField(
        _l("Web address %(number)d (optional)", number=number),
        filters=[single_line],
        render_kw={"dir": "ltr", "autocomplete": "url", "spellcheck": "false"},
    )


def _photo(number):
    return FileField(
        _l("Photo %(number)d (optional)", number=number),
        description=_l("JPG, PNG or WebP, smaller than 8 MB"),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


def _alt(number):
    return TextAreaField(
        _l("Describe photo %(number)d for people who cannot see it", number=number),
        description=_l("Say what it shows in a sentence, as you would on the phone"),
        filters=[single_line],
        validators=[
            Length(
                max=submission.ALT_MAX, message=_l("A description must be 300 characters or fewer")
            )
        ],
        render_kw={"dir": "auto", "rows": 2},
    )


class ScopeMixin:
    """How the person is credited, where and until when the story may appear."""

    def scope_values(self):
        return {
            "credit": self.credit.data,
            "public": "public" in (self.places.data or ()),
            "sponsors": "sponsors" in (self.places.data or ()),
            "until": parse_date(self.until.data),
        }


def _credit():
    return RadioField(
        _l("How should the person or organisation be named?"),
        choices=CREDITS,
        invalid_choice_message=_l("Select how the person should be named"),
    )


def _places():
    return MultiCheckboxField(
        _l("Where may the story appear?"),
        description=_l("Select all that you agree to"),
        choices=PLACES,
        validate_choice=False,
        validators=[Choices(_l("Select where the story may appear"))],
    )


def _until():
    return StringField(
        _l("Until when? (optional)"),
        description=_l("Leave empty for no end date. After it, the story is shown nowhere"),
        filters=[single_line],
        validators=[IsoDate()],
        widget=DateInput(),
        render_kw={"dir": "ltr"},
    )


class StoryForm(ScopeMixin, FlaskForm):
    """The story submission, on one page."""

    title = _title(_l("Title of the story"))
    body = _body(_l("The story"), _l("Plain paragraphs, up to 10,000 characters"))
    language = RadioField(
        _l("Which language is the story written in?"),
        choices=LANGUAGE_CHOICES,
        invalid_choice_message=_l("Select the language the story is written in"),
    )
    other_title = _title(_l("Title in the other language (optional)"))
    other_body = _body(
        _l("The story in the other language (optional)"),
        _l("If you have it: Arabic for an English story, English for an Arabic one"),
    )
    person_name = StringField(
        _l("The person or organisation the story is about"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Enter the name of the person or organisation")),
            Length(max=NAME_MAX, message=_l("The name must be 200 characters or fewer")),
        ],
        render_kw={"dir": "auto", "autocomplete": "off", "spellcheck": "false"},
    )
    track = RadioField(
        _l("Which track is it about?"),
        invalid_choice_message=_l("Select the track of the story"),
    )
    link_1, link_2, link_3 = _link(1), _link(2), _link(3)
    photo_1, photo_2, photo_3, photo_4 = _photo(1), _photo(2), _photo(3), _photo(4)
    alt_1, alt_2, alt_3, alt_4 = _alt(1), _alt(2), _alt(3), _alt(4)
    minor = RadioField(
        _l("Is the person the story is about under 18?"),
        choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes, under 18"))],
        invalid_choice_message=_l("Say whether the person is under 18"),
    )
    guardian_name = StringField(
        _l("Their parent or guardian's full name"),
        filters=[single_line],
        validators=[Length(max=NAME_MAX, message=_l("Full name must be 200 characters or fewer"))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "auto"},
    )
    guardian_email = EmailField(
        _l("Their parent or guardian's email address"),
        description=_l("We will ask them to confirm before anything is shown"),
        filters=[email_text],
        validators=[Length(max=254, message=_l("Email address must be 254 characters or fewer"))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"},
    )
    credit = _credit()
    places = _places()
    until = _until()
    full_name = full_name_field()
    email = email_field(_l("We will send you a private link to follow, change or withdraw it"))
    email_language = language_field()
    agree = BooleanField(
        _l("I agree to the statement above"),
        validators=[DataRequired(_l("Confirm you agree to the statement"))],
    )
    # Spam trap: hidden from people by CSS; a bot that fills it is shown success.
    website = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off"})
    # One per rendering of the form: a double-clicked submit sends the story once.
    submission_id = HiddenField(filters=[valid_submission_id])

    photos = ()

    @classmethod
    def for_conference(cls, conference, *, language):
        form = cls(language=language, email_language=language)
        form.track.choices = track_choices(conference)
        if not form.submission_id.data:
            form.submission_id.data = new_submission_id()
        return form

    @property
    def is_spam(self):
        return bool((self.website.data or "").strip())

    @property
    def is_minor(self):
        return self.minor.data == "yes"

    def photo_pairs(self):
        return [
            (getattr(self, f"photo_{n}"), getattr(self, f"alt_{n}"))
            for n in range(1, submission.MAX_PHOTOS + 1)
        ]

    def link_fields(self):
        return [self.link_1, self.link_2, self.link_3]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in (self.title, self.body):
            if not field.data and not field.errors:
                field.errors.append(
                    _l("Enter a title") if field is self.title else _l("Enter your story")
                )
                valid = False
        for field in self.link_fields():
            valid = _check(field, submission.clean_link) and valid
        if self.is_minor:
            if not self.guardian_name.data and not self.guardian_name.errors:
                self.guardian_name.errors.append(_l("Enter the parent or guardian's full name"))
                valid = False
            if not self.guardian_email.data and not self.guardian_email.errors:
                self.guardian_email.errors.append(
                    _l("Enter the parent or guardian's email address")
                )
                valid = False
        self.photos = []
        for upload_field, alt_field in self.photo_pairs():
            valid = self._read_photo(upload_field, alt_field) and valid
        return valid

    def _read_photo(self, upload_field, alt_field):
        upload = upload_field.data
        if not upload or not getattr(upload, "filename", None):
            return True
        limit = current_app.config["IMAGE_MAX_BYTES"]
        try:
            data = upload.stream.read(limit + 1)
        finally:
            upload.close()
        try:
            variants = images.process(data)
        except images.ImageRefused as refused:
            upload_field.errors = [*upload_field.errors, str(refused)]
            return False
        if not alt_field.data:
            alt_field.errors = [
                *alt_field.errors,
                _l("Describe the photo for people who cannot see it"),
            ]
            return False
        self.photos.append(submission.Photo(variants, alt_field.data))
        return True

    def submission_values(self):
        scope = self.scope_values()
        return {
            "title": self.title.data,
            "body": self.body.data,
            "language": self.language.data,
            "other_title": self.other_title.data,
            "other_body": self.other_body.data,
            "person_name": self.person_name.data,
            "track_key": self.track.data,
            "links": [field.data for field in self.link_fields()],
            "photos": self.photos,
            "submitter_name": self.full_name.data,
            "submitter_email": self.email.data,
            "email_language": self.email_language.data,
            "credit": scope["credit"],
            "consent_public": scope["public"],
            "consent_sponsors": scope["sponsors"],
            "consent_until": scope["until"],
            "subject_is_minor": self.is_minor,
            "guardian_name": self.guardian_name.data if self.is_minor else None,
            "guardian_email": self.guardian_email.data if self.is_minor else None,
        }

    def show_error(self, error):
        """Put a service's message next to its field (else above the form)."""
        field = getattr(self, error.field, None) if error.field else None
        if field is None and error.field == "email":
            field = self.email
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(error)]
        else:
            self.form_errors.append(str(error))


def _check(field, clean):
    if not field.data or field.errors:
        return not field.errors
    try:
        clean(field.data)
    except submission.SubmissionError as error:
        field.errors = [*field.errors, str(error)]
        return False
    return True


class EditStoryForm(FlaskForm):
    """The story's words, links and photo descriptions, from the private link."""

    title = _title(_l("Title of the story"))
    body = _body(_l("The story"), _l("Plain paragraphs, up to 10,000 characters"))
    other_title = _title(_l("Title in the other language (optional)"))
    other_body = _body(_l("The story in the other language (optional)"), None)
    link_1, link_2, link_3 = _link(1), _link(2), _link(3)
    alts = FieldList(
        TextAreaField(
            filters=[single_line],
            validators=[
                Length(
                    max=submission.ALT_MAX,
                    message=_l("A description must be 300 characters or fewer"),
                )
            ],
            render_kw={"dir": "auto", "rows": 2},
        )
    )

    @classmethod
    def for_story(cls, story):
        links = [*story.links, "", "", ""][:3]
        form = cls(
            data={
                "title": story.title,
                "body": story.body,
                "other_title": story.other_title or "",
                "other_body": story.other_body or "",
                "link_1": links[0],
                "link_2": links[1],
                "link_3": links[2],
                "alts": [photo.alt for photo in story.photos],
            }
        )
        return form.labelled()

    @classmethod
    def posted(cls):
        return cls().labelled()

    def labelled(self):
        """Each photo description labelled with its photo's number."""
        for number, entry in enumerate(self.alts, 1):
            entry.label = Label(
                entry.id,
                _l("Describe photo %(number)d for people who cannot see it", number=number),
            )
        return self

    def link_fields(self):
        return [self.link_1, self.link_2, self.link_3]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self.link_fields():
            valid = _check(field, submission.clean_link) and valid
        return valid

    def edit_values(self, story):
        alts = {photo.id: entry.data for photo, entry in zip(story.photos, self.alts, strict=False)}
        return {
            "title": self.title.data,
            "body": self.body.data,
            "other_title": self.other_title.data,
            "other_body": self.other_body.data,
            "links": [field.data for field in self.link_fields()],
            "alts": alts,
        }

    def show_error(self, error):
        field = getattr(self, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(error)]
        else:
            self.form_errors.append(str(error))


class ConsentForm(ScopeMixin, FlaskForm):
    """Change how the person is credited, where and until when (from the private link)."""

    credit = _credit()
    places = _places()
    until = _until()

    @classmethod
    def for_story(cls, story):
        places = [
            name
            for name, given in (
                ("public", story.consent_public),
                ("sponsors", story.consent_sponsors),
            )
            if given
        ]
        return cls(
            data={
                "credit": story.credit.value,
                "places": places,
                "until": story.consent_until.isoformat() if story.consent_until else "",
            }
        )

    def show_error(self, error):
        field = getattr(self, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(error)]
        else:
            self.form_errors.append(str(error))


class ResendLinkForm(FlaskForm):
    """Ask for the private link again."""

    email = email_field(_l("The address you gave with your story"))
