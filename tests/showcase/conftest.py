"""Fixtures and helpers of the story submission tests: form answers, a story made through
the service, photos (honest and hostile), and the outbox's messages rendered as the
deliverer would (its private links minted); and stories in every state made directly, for
the moderation and gallery tests (``make_story``)."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from conference import images
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.showcase import consent, publication, samples, submission
from conference.showcase.models import ConsentEvent, Credit, Story, StoryPhoto, StoryStatus

EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}


def answers(**overrides):
    """The story form's answers, complete and valid (``None`` drops one)."""
    values = {
        "title": "A choir in Detroit",
        "body": "Rania started a choir.\n\nIt now sings in **three** languages.",
        "language": "en",
        "other_title": "",
        "other_body": "",
        "person_name": "Rania Al-Khatib",
        "track": "arts",
        "link_1": "https://example.org/choir",
        "minor": "no",
        "credit": "full_name",
        "places": ["public", "sponsors"],
        "until": "",
        "agree": "y",
        "full_name": "Omar Haddad",
        "email": "omar@example.org",
        "email_language": "en",
        **overrides,
    }
    return {name: value for name, value in values.items() if value is not None}


def photo_bytes(size=(64, 48), fmt="JPEG", gps=False, colour=(200, 40, 40)):
    picture = Image.new("RGB", size, colour)
    out = io.BytesIO()
    extra = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make
        gps_ifd = {1: "N", 2: (33.0, 30.0, 0.0), 3: "E", 4: (36.0, 18.0, 0.0)}
        exif[0x8825] = gps_ifd
        extra["exif"] = exif.tobytes()
    picture.save(out, fmt, **extra)
    return out.getvalue()


def photo(**kwargs):
    return submission.Photo(images.process(photo_bytes(**kwargs)), "A choir on a stage")


def make_story(conference, **overrides):
    values = {
        "title": "A choir in Detroit",
        "body": "Rania started a choir.",
        "language": "en",
        "person_name": "Rania Al-Khatib",
        "track_key": "arts",
        "submitter_name": "Omar Haddad",
        "submitter_email": "omar@example.org",
        "email_language": "en",
        "credit": "full_name",
        "consent_public": True,
        "consent_sponsors": False,
        "links": ["https://example.org/choir"],
        "shown_language": "en",
        **overrides,
    }
    return submission.submit(conference, **values)


def minor_story(conference, **overrides):
    values = {
        "subject_is_minor": True,
        "guardian_name": "Huda Haddad",
        "guardian_email": "huda@example.org",
        **overrides,
    }
    return make_story(conference, **values)


def messages(kind=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def delivered(row):
    """``row`` rendered as the deliverer would: its private link's hash written."""
    rendering = outbox.Rendering()
    email = outbox.render(row, rendering)
    rendering.write()
    db.session.commit()
    return email


def token_in(text, prefix):
    found = re.search(rf"http://conference\.test/stories/{prefix}/([A-Za-z0-9_-]+)", text)
    return found[1] if found else None


def manage_token(story):
    """A private link of ``story``'s submitter, from its confirmation email."""
    row = next(m for m in messages("showcase.confirmation") if m.snapshot["story"] == story.id)
    return token_in(delivered(row).text, "mine")


def guardian_token(story):
    row = [m for m in messages("showcase.guardian_request") if m.snapshot["story"] == story.id][-1]
    return token_in(delivered(row).text, "guardian")


def own_stories():
    return list(db.session.scalars(sa.select(Story).filter_by(is_sample=False).order_by(Story.id)))


@pytest.fixture
def story(conference):
    return make_story(conference)


@pytest.fixture
def story_in_state(conference):
    """``story_in_state(title=..., status=StoryStatus.approved, ...)`` → a committed story."""

    def _story_in_state(
        *,
        status=StoryStatus.submitted,
        language="en",
        title="From Aleppo to Ohio",
        body="We opened a **bakery**.\n\nNow we train apprentices.",
        other_title=None,
        other_body=None,
        track="arts",
        email_language="ar",
        public=True,
        sponsors=False,
        until=None,
        photo=True,
        links=(),
    ):
        tracks = {track.key: track for track in conference.tracks}
        now = utcnow()
        story = Story(
            conference=conference,
            status=status,
            track=tracks.get(track),
            language=language,
            title=title,
            body=body,
            other_title=other_title,
            other_body=other_body,
            person_name="Rania Al-Khatib",
            credit=Credit.full_name,
            links=list(links),
            submitter_name="Rania",
            submitter_email="rania@example.org",
            email_language=email_language,
            consent_public=public,
            consent_sponsors=sponsors,
            consent_until=until,
            decided_at=now if status is StoryStatus.approved else None,
            submitted_at=now,
            updated_at=now,
        )
        if photo:
            variants = images.process(samples._picture("arts", 1))
            story.photos.append(
                StoryPhoto(
                    image_key=images.store(variants),
                    alt="A bakery's counter",
                    width=variants[-1].width,
                    height=variants[-1].height,
                )
            )
        consent.record(
            story,
            ConsentEvent.given,
            by_role=consent.SUBMITTER,
            by_name="Rania",
            language=language,
            wording="I agree.",
        )
        db.session.add(story)
        db.session.flush()
        publication.refresh(story)
        db.session.commit()
        return story

    return _story_in_state
