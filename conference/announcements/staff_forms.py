"""The bulk email form: who gets it, and what it says in both languages."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from conference.announcements.services import BODY_MAX, SUBJECT_MAX
from conference.registration.staff_forms import STATUS_CHOICES, SegmentForm

SUBJECT_TOO_LONG = lazy_ngettext(
    "The subject must be %(max)s character or fewer",
    "The subject must be %(max)s characters or fewer",
    SUBJECT_MAX,
    max=SUBJECT_MAX,
)
BODY_TOO_LONG = lazy_ngettext(
    "The message must be %(max)s character or fewer",
    "The message must be %(max)s characters or fewer",
    BODY_MAX,
    max=f"{BODY_MAX:,}",
)


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


class ComposeForm(SegmentForm):
    """Compose (or change) a bulk email. Build it with ``for_conference``."""

    # Cancelled registrations get no announcements.
    status = SelectField(
        _l("Status"),
        default="",
        choices=STATUS_CHOICES[:3],
        validate_choice=False,
        validators=[AnyOf(["", "confirmed", "waitlisted"], _l("Select a status"))],
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
        return cls(**kwargs).set_tracks(conference.tracks)

    def fill_from(self, broadcast):
        """Show a saved draft's values."""
        self.preset(broadcast.filters or {})
        for lang in ("ar", "en"):
            getattr(self, f"subject_{lang}").data = broadcast.subject.get(lang, "")
            getattr(self, f"body_{lang}").data = broadcast.body.get(lang, "")
        self.essential.data = broadcast.is_essential

    def texts(self):
        """``subject`` and ``body`` for ``services.save_draft``."""
        return {
            "subject": {"ar": self.subject_ar.data, "en": self.subject_en.data},
            "body": {"ar": self.body_ar.data, "en": self.body_en.data},
        }
