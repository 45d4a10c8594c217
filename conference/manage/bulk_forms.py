"""The bulk email form: who gets it, and what it says in both languages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from conference.i18n import translate
from conference.manage.bulk_services import BODY_MAX, FILTER_FIELDS, SUBJECT_MAX
from conference.registration.queries import Filters
from conference.registration.services import clean_text

SUBJECT_TOO_LONG = _l("The subject must be %(max)s characters or fewer", max=SUBJECT_MAX)
BODY_TOO_LONG = _l("The message must be %(max)s characters or fewer", max=f"{BODY_MAX:,}")


def _subject(label, required, lang):
    return StringField(
        label,
        validators=[DataRequired(required), Length(max=SUBJECT_MAX, message=SUBJECT_TOO_LONG)],
        render_kw={"lang": lang, "dir": "rtl" if lang == "ar" else "ltr", "autocomplete": "off"},
    )


def _body(label, required, lang):
    return TextAreaField(
        label,
        description=_l(
            "Leave an empty line between paragraphs. Addresses that start with https:// "
            "become links"
        ),
        validators=[DataRequired(required), Length(max=BODY_MAX, message=BODY_TOO_LONG)],
        render_kw={"lang": lang, "dir": "rtl" if lang == "ar" else "ltr", "rows": 12},
    )


class ComposeForm(FlaskForm):
    """Compose (or change) a bulk email. Build it with ``for_conference``."""

    q = StringField(
        _l("Name or email address contains (optional)"),
        validators=[Length(max=100, message=_l("Search for 100 characters or fewer"))],
        render_kw={"dir": "auto", "autocomplete": "off", "spellcheck": "false"},
    )
    track = SelectField(_l("Track"), choices=[], default="")
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Active: confirmed or waiting")),
            SelectChoice("confirmed", _l("Confirmed seat")),
            SelectChoice("waitlisted", _l("On a waiting list")),
        ],
    )
    language = SelectField(
        _l("Email language"),
        default="",
        choices=[
            SelectChoice("", _l("Both languages")),
            SelectChoice("ar", "العربية", {"lang": "ar"}),
            SelectChoice("en", "English", {"lang": "en"}),
        ],
    )
    checked_in = SelectField(
        _l("Checked in"),
        default="",
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("yes", _l("Checked in")),
            SelectChoice("no", _l("Not checked in")),
        ],
    )
    subject_ar = _subject(_l("Subject in Arabic"), _l("Enter the subject in Arabic"), "ar")
    body_ar = _body(_l("Message in Arabic"), _l("Enter the message in Arabic"), "ar")
    subject_en = _subject(_l("Subject in English"), _l("Enter the subject in English"), "en")
    body_en = _body(_l("Message in English"), _l("Enter the message in English"), "en")
    essential = BooleanField(
        _l("Essential message about their registration"),
        description=_l(
            "Sent even to people who unsubscribed from announcements, without an "
            "unsubscribe link. Use it only for news that changes their plans, such as a "
            "new time or place"
        ),
    )

    @classmethod
    def for_conference(cls, conference, **kwargs):
        form = cls(**kwargs)
        form.track.choices = [SelectChoice("", _l("Any track"))] + [
            SelectChoice(track.key, translate(track.name)) for track in conference.tracks
        ]
        return form

    def fill_segment(self, values):
        """Preset the segment from ``values`` (the attendee list's query string)."""
        for name in FILTER_FIELDS:
            field = getattr(self, name)
            value = (values.get(name) or "").strip()
            if name == "q":
                field.data = value[:100]
            elif value in {choice.value for choice in field.choices}:
                field.data = value

    def fill_from(self, broadcast):
        """Show a saved draft's values."""
        self.fill_segment(broadcast.filters or {})
        for lang in ("ar", "en"):
            getattr(self, f"subject_{lang}").data = broadcast.subject.get(lang, "")
            getattr(self, f"body_{lang}").data = broadcast.body.get(lang, "")
        self.essential.data = broadcast.is_essential

    def filters(self):
        return Filters(
            q=clean_text(self.q.data) or "",
            track=self.track.data or "",
            status=self.status.data or "",
            language=self.language.data or "",
            checked_in=self.checked_in.data or "",
        )

    def texts(self):
        """``subject`` and ``body`` for ``bulk_services.save_draft``."""
        return {
            "subject": {"ar": self.subject_ar.data, "en": self.subject_en.data},
            "body": {"ar": self.body_ar.data, "en": self.body_en.data},
        }
