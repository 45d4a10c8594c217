"""The organizers' forms for sponsors, tiers and sponsor accounts.

They check shape only (names given, a website that is an http or https address, a file
chosen); the logo itself is checked by ``logos.prepare`` and what needs the database by
``services`` (a ``SponsorError`` names the field). Tiers and tracks are offered by the
view (``set_choices``).
"""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from conference.fields import (
    EmailAddress,
    MultiCheckboxField,
    email_text,
    single_line,
    text_in,
)

NAME_MAX = 120
TEXT_MAX = 600
WEBSITE_MAX = 300


def _text(label, *, required=None, limit=NAME_MAX, too_long, lang, area=False):
    return text_in(lang, label, too_long=too_long, limit=limit, required=required, area=area)


def website_ok(value):
    """Whether ``value`` is an http or https address with a host (nothing else links out)."""
    if not value or len(value) > WEBSITE_MAX or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _website(form, field):
    if field.data and not website_ok(field.data):
        raise ValidationError(
            _l("Enter the website's full address, starting with https:// or http://")
        )


class SponsorForm(FlaskForm):
    """A sponsor's names, tier, website, a few words in each language, tracks and logo."""

    name_en = _text(
        _l("Name in English"),
        required=_l("Enter the sponsor's name in English"),
        too_long=_l("Name must be 120 characters or fewer"),
        lang="en",
    )
    name_ar = _text(
        _l("Name in Arabic"),
        required=_l("Enter the sponsor's name in Arabic"),
        too_long=_l("Name must be 120 characters or fewer"),
        lang="ar",
    )
    tier = SelectField(_l("Tier"), validate_choice=False)
    website = StringField(
        _l("Website (optional)"),
        filters=[single_line],
        validators=[Optional(), _website],
        render_kw={"dir": "ltr", "inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )
    description_en = _text(
        _l("A few words in English (optional)"),
        limit=TEXT_MAX,
        too_long=_l("Description must be 600 characters or fewer"),
        lang="en",
        area=True,
    )
    description_ar = _text(
        _l("A few words in Arabic (optional)"),
        limit=TEXT_MAX,
        too_long=_l("Description must be 600 characters or fewer"),
        lang="ar",
        area=True,
    )
    tracks = MultiCheckboxField(_l("Tracks they support (optional)"), validate_choice=False)
    logo = FileField(
        _l("Logo (optional)"),
        description=_l("A PNG or WebP image, or an SVG without script or outside links"),
        render_kw={"accept": ".png,.webp,.jpg,.jpeg,.svg,image/png,image/webp,image/svg+xml"},
    )
    remove_logo = BooleanField(_l("Remove the logo"))

    def set_choices(self, tiers, tracks):
        """``tiers`` and ``tracks``: ``[(key, label)]`` in their order."""
        self.tier.choices = tiers
        self.tracks.choices = tracks

    def validate_tier(self, field):
        if field.data not in {value for value, _label in self.tier.choices}:
            raise ValidationError(_l("Choose the sponsor's tier"))

    def validate_tracks(self, field):
        offered = {value for value, _label in self.tracks.choices}
        if not set(field.data or []) <= offered:
            raise ValidationError(_l("Choose among the conference's tracks"))

    def fill(self, sponsor):
        self.name_en.data, self.name_ar.data = sponsor.name.get("en"), sponsor.name.get("ar")
        description = sponsor.description or {}
        self.description_en.data = description.get("en", "")
        self.description_ar.data = description.get("ar", "")
        self.tier.data = sponsor.tier
        self.website.data = sponsor.website or ""
        self.tracks.data = list(sponsor.tracks or [])

    def values(self):
        chosen = set(self.tracks.data or [])
        return {
            "name": {"en": self.name_en.data, "ar": self.name_ar.data},
            "tier": self.tier.data,
            "website": self.website.data or None,
            "description": {"en": self.description_en.data, "ar": self.description_ar.data},
            "tracks": [key for key, _label in self.tracks.choices if key in chosen],
        }

    def logo_data(self):
        """The uploaded logo's bytes, or ``None`` when no file was chosen."""
        upload = self.logo.data
        if not upload or not getattr(upload, "filename", None):
            return None
        return upload.read()


class TierForm(FlaskForm):
    """A tier's label in both languages."""

    label_en = _text(
        _l("Label in English"),
        required=_l("Enter the tier's label in English"),
        too_long=_l("Label must be 120 characters or fewer"),
        lang="en",
    )
    label_ar = _text(
        _l("Label in Arabic"),
        required=_l("Enter the tier's label in Arabic"),
        too_long=_l("Label must be 120 characters or fewer"),
        lang="ar",
    )

    def fill(self, tier):
        self.label_en.data, self.label_ar.data = tier.label.get("en"), tier.label.get("ar")

    def values(self):
        return {"en": self.label_en.data, "ar": self.label_ar.data}


class MoveForm(FlaskForm):
    """Up or down one place."""

    direction = HiddenField(validators=[AnyOf(("up", "down"))])


class AccountForm(FlaskForm):
    """Someone at the sponsor to invite to the sponsor portal."""

    email = EmailField(
        _l("Email address"),
        filters=[email_text],
        validators=[
            DataRequired(_l("Enter an email address")),
            Length(max=254, message=_l("Email address must be 254 characters or fewer")),
            EmailAddress(_l("Enter an email address in the correct format, like name@example.com")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"},
    )
    name = StringField(
        _l("Name (optional)"),
        filters=[single_line],
        validators=[Length(max=200, message=_l("Name must be 200 characters or fewer"))],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )
