"""The sample stories load with the sample programme and leave with it."""

import sqlalchemy as sa

from conference.content import services as content
from conference.extensions import db
from conference.images import StoredImage
from conference.showcase.models import Story


def test_sample_stories_load_once_and_are_removed_with_their_pictures(
    app, conference, sample_data, client
):
    conference = content.get_conference("for-syria")
    version = conference.content_version
    content.load_sample_programme(conference, sample_data)
    stories = db.session.scalars(sa.select(Story).order_by(Story.id)).all()
    assert len(stories) == 6
    assert all(story.is_sample for story in stories)
    assert {story.track.key for story in stories} == {"cultural", "social", "arts"}
    today = stories[0].submitted_at.date()
    assert all(story.shown_publicly(today) and story.shown_to_sponsors(today) for story in stories)
    assert stories[0].language == "ar"
    assert stories[0].other_language == "en"
    photo = stories[0].photos[0]
    assert photo.alt
    assert photo.width == 800
    ids = [story.id for story in stories]
    assert conference.content_version != version
    key = photo.image_key

    assert client.get(f"/media/{key}-400.webp").status_code == 200

    conference = content.get_conference("for-syria")
    report = content.load_sample_programme(conference, sample_data)
    assert not report.created
    assert not report.removed
    assert db.session.scalars(sa.select(Story.id).order_by(Story.id)).all() == ids

    content.remove_sample_programme(conference)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Story)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredImage)) == 0
    assert client.get(f"/media/{key}-400.webp").status_code == 404
