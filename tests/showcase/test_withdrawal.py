"""Withdrawing consent takes a story off every page on the next request, in every
process: the gallery, its page, the conference page, its photos, cached pages included.

Two app objects on one database stand for two server processes, each with its own
in-memory page cache (``pagecache``) warmed before the withdrawal."""

import sqlalchemy as sa

from conference.content import services as content
from conference.extensions import db
from conference.showcase import moderation
from conference.showcase.models import Story, StoryStatus

EN = {"Accept-Language": "en"}


def test_a_withdrawal_in_one_process_leaves_the_others_cached_pages_at_once(
    make_app, database_url, tmp_path, content_data, sample_data
):
    shared = f"sqlite:///{tmp_path / 'shared.db'}" if database_url == "sqlite://" else database_url
    first = make_app(PUBLIC_PAGE_MAX_AGE=60, SQLALCHEMY_DATABASE_URI=shared)
    second = make_app(PUBLIC_PAGE_MAX_AGE=60, SQLALCHEMY_DATABASE_URI=shared)
    with first.app_context():
        content.load_content(content_data)
        conference = content.get_conference(content_data["conference"]["slug"])
        content.load_sample_programme(conference, sample_data)
        story = db.session.scalar(sa.select(Story).order_by(Story.id))
        moderation.set_featured(story, True, actor=None)
        db.session.commit()
        story_id, title, key = story.id, story.title, story.photos[0].image_key
        track = story.track.key
    pages = ["/", "/stories", f"/stories/{story_id}", f"/stories?track={track}"]
    other = second.test_client()
    calls = []
    inner = second.wsgi_app.app
    second.wsgi_app.app = lambda environ, start: calls.append(1) or inner(environ, start)
    for path in pages:
        for _ in range(2):
            assert title in other.get(path, headers=EN).get_data(as_text=True), path
    assert len(calls) == len(pages)  # the second of each came from the process's cache

    with first.test_request_context("/"):
        story = db.session.get(Story, story_id)
        moderation.withdraw_on_request(story, actor=None)
        db.session.commit()

    for path in pages:
        response = other.get(path, headers=EN)
        assert title not in response.get_data(as_text=True), path
    assert other.get(f"/stories/{story_id}").status_code == 404
    assert other.get(f"/media/{key}-400.webp").status_code == 404
    with second.app_context():
        gone = db.session.get(Story, story_id)
        assert gone.status is StoryStatus.withdrawn
        assert not gone.featured
        assert [record.by_role for record in gone.consents][-1] == "organizer"
    with first.app_context():
        db.session.remove()


def test_an_organizer_withdraws_on_request_from_the_story_page(app, client, conference, login_as):
    story = db.session.scalar(sa.select(Story).order_by(Story.id))
    title = story.title
    assert title in client.get("/stories").get_data(as_text=True)
    login_as("organizer")

    unconfirmed = client.post(f"/manage/stories/{story.id}/withdraw", data={})
    response = client.post(f"/manage/stories/{story.id}/withdraw", data={"confirm": "y"})

    assert unconfirmed.status_code == 400
    assert response.status_code == 303
    assert title not in client.get("/stories").get_data(as_text=True)
    assert client.get(f"/stories/{story.id}").status_code == 404
    page = client.get(f"/manage/stories/{story.id}").get_data(as_text=True)
    assert "withdrawn by an organizer, on request" in page  # the history, in words
    assert "Withdrawn" in page
