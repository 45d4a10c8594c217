"""What follows any change to whether a story may be shown: its photos are served or not,
and every cached page that could show it is rendered anew on its next request.

Every service that changes a story's status or consent (approval, rejection, withdrawal,
a consent change, the guardian's confirmation, an end date passing) calls ``refresh``
inside its transaction, so a withdrawal takes effect everywhere in the same commit.
"""

from datetime import UTC
from zoneinfo import ZoneInfo

from conference import images
from conference.clock import utcnow
from conference.content.services import touch_content_version


def conference_today(conference, now=None):
    """Today's date where the conference takes place (consent end dates are such dates)."""
    now = (now or utcnow()).replace(tzinfo=UTC)
    return now.astimezone(ZoneInfo(conference.timezone)).date()


def refresh(story, *, today=None):
    """Serve the story's photos only while it is shown somewhere; invalidate cached pages.

    Does not commit.
    """
    today = today or conference_today(story.conference)
    shown = story.shown_publicly(today) or story.shown_to_sponsors(today)
    images.set_visible([photo.image_key for photo in story.photos], shown)
    touch_content_version(story.conference)
