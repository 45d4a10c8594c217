"""Story submission: the rules a story's answers follow, saving it with its consent and
photos, and its private links (``changes`` holds what is done from them).

Nothing here reads ``request``: the public pages, the tests and any CLI call these
functions, which own their transaction and commit; emails are queued in the outbox in
that transaction, and the private links they carry are minted when they are rendered
(``emails``), so only their hash is ever written.

A story starts ``submitted`` (or ``awaiting_guardian`` when the person shown is under
18, then ``submitted`` once the guardian confirms) and is public only after an organizer
approves it. Every consent change goes through ``consent.record`` and then
``publication.refresh``; withdrawal, by the submitter or the guardian, through
``consent.withdraw``. The consent wording stored is the text the page showed, in the
language it was shown in (``wording``).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from conference import audit, database, images, richtext, text
from conference.clock import utcnow
from conference.content.models import Track
from conference.extensions import db
from conference.mailer import outbox
from conference.showcase import consent, emails, publication
from conference.showcase.models import (
    ConsentEvent,
    Credit,
    Story,
    StoryPhoto,
    StoryStatus,
    StoryToken,
    TokenPurpose,
)
from conference.tokens import new_token, token_hash

LANGUAGES = ("ar", "en")
TITLE_MAX = 200
BODY_MAX = 10_000
NAME_MAX = 200
ALT_MAX = 300
LINK_MAX = 500
MAX_PHOTOS = 4
MAX_LINKS = 3
# The furthest end date a consent may have.
UNTIL_MAX_YEARS = 20
# Stories that can still change (text or consent) from the submitter's link.
OPEN = {StoryStatus.awaiting_guardian, StoryStatus.submitted, StoryStatus.approved}
# A lost link is sent again for this many of an address's latest stories.
RESEND_MAX = 5


class SubmissionError(Exception):
    """A rule was broken; the message is safe to show. ``field`` names the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclass
class Photo:
    """An accepted upload: its re-encoded variants (``images.process``) and its alt text."""

    variants: list
    alt: str


# ---------------------------------------------------------------------------------------
# What people agree to, in words (stored exactly as shown)

CONSENT_WORDING = _l(
    "I agree that For Syria may show this story, its photos and the name as I chose to "
    "credit it, in the places I ticked and until the end date I set, if any. I confirm "
    "that I may share it: it is my own story, or the person or organisation it is about "
    "has agreed. An organizer reads every story before it appears. I can change these "
    "choices or withdraw my consent at any time from my private link; the story then "
    "leaves every page at once."
)
GUARDIAN_WORDING = _l(
    "I am the parent or guardian of the young person this story is about. I agree that "
    "For Syria may show it as described on this page, in the places and until the date "
    "chosen. I can withdraw this consent at any time from this link; the story then "
    "leaves every page at once."
)
WITHDRAW_WORDING = _l(
    "I withdraw consent: this story must no longer be shown anywhere. It leaves the public "
    "site and sponsor reports at once, with its photos."
)
WORDINGS = {"given": CONSENT_WORDING, "guardian": GUARDIAN_WORDING, "withdraw": WITHDRAW_WORDING}


def wording(kind, language):
    """The sentences of ``kind`` ("given", "guardian", "withdraw") in ``language``."""
    language = language if language in LANGUAGES else "en"
    with force_locale(language):
        return str(WORDINGS[kind])


# ---------------------------------------------------------------------------------------
# Cleaning


def clean_line(value, limit, message_empty, message_long, field, required=True):
    value = richtext.plain(text.clean_text(value) or "")
    if not value and required:
        raise SubmissionError(message_empty, field)
    if len(value) > limit:
        raise SubmissionError(message_long, field)
    return value


def clean_story_text(value, field, required=True):
    value = richtext.plain(text.clean_text(value, multiline=True) or "")
    if not value and required:
        raise SubmissionError(_l("Enter your story"), field)
    if len(value) > BODY_MAX:
        raise SubmissionError(_l("The story must be 10,000 characters or fewer"), field)
    return value


def clean_link(value):
    """An http(s) address as typed (spaces around it dropped), or ``SubmissionError``."""
    value = (value or "").strip()
    refused = SubmissionError(
        _l("Enter a web address that starts with https:// or http://, like https://example.org")
    )
    if len(value) > LINK_MAX:
        raise SubmissionError(_l("A web address must be 500 characters or fewer"))
    if richtext.plain(value) != value or any(char.isspace() for char in value):
        raise refused
    try:
        parts = urlsplit(value)
    except ValueError:
        raise refused from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise refused
    return value


def clean_links(values):
    links = [clean_link(value) for value in values or () if (value or "").strip()]
    return list(dict.fromkeys(links))[:MAX_LINKS]


def _address(value, field, message):
    try:
        return text.normalise_email(value)
    except text.InvalidEmailAddress:
        raise SubmissionError(message, field) from None


def _until(value, today):
    if value is None:
        return None
    if not isinstance(value, date) or value <= today:
        raise SubmissionError(_l("The end date must be in the future"), "until")
    if value > today + timedelta(days=366 * UNTIL_MAX_YEARS):
        raise SubmissionError(_l("The end date must be within 20 years"), "until")
    return value


def clean_scope(credit, public, sponsors, until, today):
    try:
        credit = credit if isinstance(credit, Credit) else Credit(credit)
    except ValueError:
        raise SubmissionError(_l("Select how the person should be named"), "credit") from None
    if not public and not sponsors:
        raise SubmissionError(_l("Select where the story may appear"), "places")
    return credit, bool(public), bool(sponsors), _until(until, today)


# ---------------------------------------------------------------------------------------
# Submitting


def submit(
    conference,
    *,
    title,
    body,
    language,
    person_name,
    track_key,
    submitter_name,
    submitter_email,
    email_language,
    credit,
    consent_public,
    consent_sponsors,
    consent_until=None,
    other_title=None,
    other_body=None,
    links=(),
    photos=(),
    subject_is_minor=False,
    guardian_name=None,
    guardian_email=None,
    shown_language=None,
    now=None,
):
    """Save a new story with its consent and photos; queue its emails. Commits.

    ``shown_language`` is the language the consent wording was shown in (the page's).
    :raises SubmissionError: what is wrong (nothing is saved).
    """
    now = now or utcnow()
    today = publication.conference_today(conference, now)
    language = language if language in LANGUAGES else None
    if language is None:
        raise SubmissionError(_l("Select the language the story is written in"), "language")
    values = {
        "title": clean_line(
            title,
            TITLE_MAX,
            _l("Enter a title"),
            _l("The title must be 200 characters or fewer"),
            "title",
        ),
        "body": clean_story_text(body, "body"),
        "other_title": clean_line(
            other_title,
            TITLE_MAX,
            None,
            _l("The title must be 200 characters or fewer"),
            "other_title",
            required=False,
        )
        or None,
        "other_body": clean_story_text(other_body, "other_body", required=False) or None,
        "person_name": clean_line(
            person_name,
            NAME_MAX,
            _l("Enter the name of the person or organisation"),
            _l("The name must be 200 characters or fewer"),
            "person_name",
        ),
        "submitter_name": clean_line(
            submitter_name,
            NAME_MAX,
            _l("Enter your full name"),
            _l("Full name must be 200 characters or fewer"),
            "submitter_name",
        ),
    }
    email = _address(
        submitter_email,
        "email",
        _l("Enter an email address in the correct format, like name@example.com"),
    )
    track = db.session.scalar(
        sa.select(Track).filter_by(conference_id=conference.id, key=track_key or "")
    )
    if track is None:
        raise SubmissionError(_l("Select the track of the story"), "track")
    credit, public, sponsors, until = clean_scope(
        credit, consent_public, consent_sponsors, consent_until, today
    )
    guardian = _guardian(subject_is_minor, guardian_name, guardian_email, email)
    photos = list(photos)[:MAX_PHOTOS]
    for photo in photos:
        if not (photo.alt or "").strip():
            raise SubmissionError(_l("Describe each photo for people who cannot see it"))
    database.begin_write()
    story = Story(
        conference=conference,
        status=StoryStatus.awaiting_guardian if subject_is_minor else StoryStatus.submitted,
        track=track,
        language=language,
        links=clean_links(links),
        credit=credit,
        submitter_email=email,
        email_language=email_language if email_language in LANGUAGES else language,
        subject_is_minor=bool(subject_is_minor),
        consent_public=public,
        consent_sponsors=sponsors,
        consent_until=until,
        submitted_at=now,
        updated_at=now,
        **values,
        **guardian,
    )
    db.session.add(story)
    for position, photo in enumerate(photos):
        largest = max(photo.variants, key=lambda variant: variant.width)
        story.photos.append(
            StoryPhoto(
                image_key=images.store(photo.variants, visible=False),
                alt=clean_alt(photo.alt),
                width=largest.width,
                height=largest.height,
                position=position,
            )
        )
    shown = shown_language if shown_language in LANGUAGES else story.email_language
    consent.record(
        story,
        ConsentEvent.given,
        by_role=consent.SUBMITTER,
        by_name=story.submitter_name,
        language=shown,
        wording=wording("given", shown),
        now=now,
    )
    db.session.flush()
    outbox.enqueue_new(emails.confirmation(story), key=f"story:{story.id}:submitted")
    if story.subject_is_minor:
        outbox.enqueue(emails.guardian_request(story), key=f"story:{story.id}:guardian")
    audit.record("story.submitted", story_id=story.id, minor=story.subject_is_minor)
    db.session.commit()
    return story


def clean_alt(value):
    return richtext.plain(text.clean_text(value) or "")[:ALT_MAX]


def _guardian(minor, name, address, submitter_email):
    if not minor:
        return {"guardian_name": None, "guardian_email": None}
    name = clean_line(
        name,
        NAME_MAX,
        _l("Enter the parent or guardian's full name"),
        _l("Full name must be 200 characters or fewer"),
        "guardian_name",
    )
    address = _address(
        address,
        "guardian_email",
        _l("Enter the parent or guardian's email address in the correct format"),
    )
    if address == submitter_email:
        raise SubmissionError(
            _l("Enter the parent or guardian's own email address, not yours"), "guardian_email"
        )
    return {"guardian_name": name, "guardian_email": address}


# ---------------------------------------------------------------------------------------
# The private links


def mint_token(story, purpose=TokenPurpose.manage):
    """A new private link token for ``story`` (no commit); only its hash is stored.

    Emails mint their own when they are rendered; this is for the scene and the tests.
    """
    token = new_token()
    story.tokens.append(
        StoryToken(purpose=purpose, token_hash=token_hash(token), created_at=utcnow())
    )
    return token


def find_by_token(token, purpose=TokenPurpose.manage):
    """The story whose link of ``purpose`` holds ``token``, or ``None``."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Story)
        .join(StoryToken)
        .where(StoryToken.token_hash == token_hash(token), StoryToken.purpose == purpose)
    )


def send_links(conference, email):
    """Email the private link of each of ``email``'s latest stories, if any. Commits.

    The caller answers the same either way: nobody learns who submitted a story.
    """
    try:
        email = text.normalise_email(email)
    except text.InvalidEmailAddress:
        return 0
    database.begin_write()
    stories = db.session.scalars(
        sa.select(Story)
        .filter_by(conference_id=conference.id, submitter_email=email, is_sample=False)
        .order_by(Story.id.desc())
        .limit(RESEND_MAX)
    ).all()
    for story in stories:
        outbox.enqueue(emails.link_again(story))
    db.session.commit()
    return len(stories)
