"""The attendee filters as a form: one definition for the list, the export and bulk email.

Organizers see the same words in all three, and a link from the list carries its filters
to the other two (``preset``). Values that are not options are refused (GET) or dropped
(links), never passed to the query.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length

from conference.fields import single_line
from conference.i18n import LANGUAGE_NAMES, translate
from conference.registration.queries import Filters

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
