"""Forms of the moderation pages: the queue's filters (GET, no CSRF token), the decision
on a story (reject with a reason, feature, withdraw on request) and the organizer's edit.
They check shape only; the rules come back from ``moderation`` as ``ModerationError``.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from conference.fields import multi_line, single_line
from conference.i18n import translate
from conference.showcase.models import StoryStatus
from conference.showcase.moderation import BODY_MAX, REASON_MAX, TITLE_MAX

STATUS_LABELS = {
    StoryStatus.submitted: _l("Waiting for a decision"),
    StoryStatus.awaiting_guardian: _l("Waiting for the guardian"),
    StoryStatus.approved: _l("Approved"),
    StoryStatus.rejected: _l("Rejected"),
    StoryStatus.withdrawn: _l("Withdrawn"),
}


def _only(field, message):
    field.validators = [AnyOf([choice.value for choice in field.choices], message)]


class QueueFilterForm(FlaskForm):
    """The queue's filters: status and track."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="", validate_choice=False)
    track = SelectField(_l("Track"), default="", validate_choice=False)

    def offer(self, tracks):
        self.status.choices = [SelectChoice("", _l("Every status"))] + [
            SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()
        ]
        _only(self.status, _l("Select a status from the list"))
        self.track.choices = [SelectChoice("", _l("Every track"))] + [
            SelectChoice(track.key, translate(track.name)) for track in tracks
        ]
        _only(self.track, _l("Select a track from the list"))
        return self


class ApproveForm(FlaskForm):
    """Approve: the button is the whole form."""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Emailed to the submitter, in their language: write it for them"),
        filters=[multi_line],
        validators=[
            DataRequired(_l("Enter the reason, which the submitter will read.")),
            Length(max=REASON_MAX, message=_l("Write the reason in 2,000 characters or fewer.")),
        ],
        render_kw={"dir": "auto", "rows": 4},
    )


class FeatureForm(FlaskForm):
    featured = HiddenField(validators=[AnyOf(["1", "0"])])


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("The person asked us to withdraw their consent"),
        validators=[DataRequired(_l("Confirm that the person asked for the withdrawal"))],
    )


def _text(label, max_length, message, *, required=None, multiline=False):
    validators = [Length(max=max_length, message=message)]
    if required:
        validators.insert(0, DataRequired(required))
    field = TextAreaField if multiline else StringField
    return field(
        label,
        filters=[multi_line if multiline else single_line],
        validators=validators,
        render_kw={"dir": "auto", **({"rows": 12} if multiline else {})},
    )


TITLE_TOO_LONG = _l("Write a title in 200 characters or fewer.")
BODY_TOO_LONG = _l("Write the story in 20,000 characters or fewer.")


class EditForm(FlaskForm):
    """The organizer's edit of a story's texts and track (each change is recorded)."""

    title = _text(_l("Title"), TITLE_MAX, TITLE_TOO_LONG, required=_l("The story needs a title."))
    body = _text(
        _l("Story"),
        BODY_MAX,
        BODY_TOO_LONG,
        required=_l("The story needs its text."),
        multiline=True,
    )
    other_title = _text(_l("Title in the other language"), TITLE_MAX, TITLE_TOO_LONG)
    other_body = _text(_l("Story in the other language"), BODY_MAX, BODY_TOO_LONG, multiline=True)
    track = SelectField(_l("Track"), default="", validate_choice=False)

    def offer(self, tracks):
        self.track.choices = [SelectChoice("", _l("No track"))] + [
            SelectChoice(track.key, translate(track.name)) for track in tracks
        ]
        _only(self.track, _l("Select a track from the list"))
        return self
