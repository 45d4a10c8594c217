"""Stories in every state, made directly (the submission form is its own feature)."""

import pytest

from conference import images
from conference.clock import utcnow
from conference.extensions import db
from conference.showcase import consent, publication, samples
from conference.showcase.models import ConsentEvent, Credit, Story, StoryPhoto, StoryStatus

EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}


@pytest.fixture
def make_story(conference):
    """``make_story(title=..., status=StoryStatus.approved, ...)`` → a committed story."""

    def _make_story(
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

    return _make_story
