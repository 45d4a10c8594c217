"""The public submission pages: both languages, errors kept with every answer, hostile
uploads refused in words (never a 500) or made safe, the spam trap, CSRF, rate limits."""

import io

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from conference.content import services as content
from conference.extensions import db, limiter
from conference.images import StoredImage
from conference.showcase.models import Story, StoryStatus

from .conftest import AR, answers, messages, own_stories, photo_bytes


def text(response):
    return response.get_data(as_text=True)


def upload(data, name="photo.jpg"):
    return (io.BytesIO(data), name)


def post(client, headers=None, **overrides):
    return client.post(
        "/stories/submit",
        data=answers(**overrides),
        headers=headers or {},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("headers", "lang", "words"), [({}, "en", "Share a success story"), (AR, "ar", 'dir="rtl"')]
)
def test_the_form_is_shown_in_both_languages(client, conference, headers, lang, words):
    response = client.get("/stories/submit", headers=headers)
    html = text(response)
    assert response.status_code == 200
    assert f'lang="{lang}"' in html
    assert words in html
    assert 'enctype="multipart/form-data"' in html
    assert "novalidate" in html
    assert 'class="trap"' in html
    assert (
        response.headers["Cache-Control"].startswith("no-store")
        or "no-store" in response.headers["Cache-Control"]
    )
    for field in ("title", "body", "person_name", "photo_1", "alt_1", "link_1", "until", "email"):
        assert f'for="{field}"' in html


def test_a_story_is_sent_and_answered_without_saying_anything_typed(client, conference):
    response = post(client, photo_1=upload(photo_bytes()), alt_1="The choir")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/stories/submitted")
    (story,) = own_stories()
    assert story.status is StoryStatus.submitted
    assert story.consents[0].wording.startswith("I agree")
    assert len(story.photos) == 1
    page = client.get("/stories/submitted")
    assert "omar@example.org" in text(page)
    assert "no-store" in page.headers["Cache-Control"]
    assert client.get("/stories/submitted").status_code == 302  # shown once


def test_the_arabic_page_records_the_arabic_wording(client, conference):
    assert post(client, headers=AR).status_code == 303
    (story,) = own_stories()
    assert story.consents[0].language == "ar"
    assert story.consents[0].wording in text(client.get("/stories/submit", headers=AR))


def test_a_double_click_sends_one_story(client, conference):
    data = {"submission_id": "A" * 32}
    assert post(client, **data).status_code == 303
    assert post(client, **data).status_code == 303
    assert len(own_stories()) == 1


def test_errors_are_listed_and_every_answer_is_kept(client, conference):
    response = post(client, title="", places=None, minor="yes", body="My *own* words")
    html = text(response)
    assert response.status_code == 400
    assert "Error:" in html
    assert "There is a problem" in html
    assert "Enter a title" in html
    assert "Select where the story may appear" in html
    assert "Enter the parent or guardian's full name" in html
    assert "My *own* words" in html
    assert "Rania Al-Khatib" in html
    assert own_stories() == []


def test_a_minor_s_story_waits_for_the_guardian(client, conference):
    response = post(client, minor="yes", guardian_name="Huda", guardian_email="huda@example.org")
    assert response.status_code == 303
    assert "huda@example.org" in text(client.get("/stories/submitted"))
    (story,) = own_stories()
    assert story.status is StoryStatus.awaiting_guardian
    assert [m.recipient for m in messages("showcase.guardian_request")] == ["huda@example.org"]


HOSTILE = {
    "script": (b"<script>alert(1)</script>", "evil.jpg"),
    "polyglot": (b"GIF89a/*<svg onload=alert(1)>*/=1;" + b"\x00" * 64, "poly.jpg"),
    "html": (b"\xff\xd8\xff<html><script>alert(1)</script></html>", "x.jpg"),
    "empty": (b"", "empty.jpg"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_upload_is_refused_in_words_and_nothing_typed_is_lost(client, conference, kind):
    data, name = HOSTILE[kind]
    response = post(client, photo_2=upload(data, name), alt_2="A photo", body="Kept words")
    html = text(response)
    assert response.status_code == 400
    assert 'id="photo_2-error"' in html
    assert "Kept words" in html
    assert "Rania Al-Khatib" in html
    assert own_stories() == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StoredImage)
            .where(StoredImage.visible.is_(False))
        )
        == 0
    )


def test_a_huge_or_truncated_image_is_refused(client, conference):
    from PIL import Image

    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # tiny file, 400 MP
    response = post(client, photo_1=upload(bomb.getvalue(), "bomb.png"), alt_1="x")
    assert response.status_code == 400
    assert "too many pixels" in text(response)
    whole = photo_bytes(size=(400, 300))
    response = post(client, photo_1=upload(whole[: len(whole) // 2]), alt_1="x", headers=AR)
    assert response.status_code == 400
    assert 'id="photo_1-error"' in text(response)
    assert own_stories() == []


def test_a_photo_needs_its_description(client, conference):
    response = post(client, photo_1=upload(photo_bytes()), alt_1="")
    assert response.status_code == 400
    assert 'id="alt_1-error"' in text(response)


def test_a_gps_tagged_photo_is_stored_without_any_metadata(client, conference):
    data = photo_bytes(size=(900, 600), gps=True)
    assert b"SecretCam" in data
    assert post(client, photo_1=upload(data), alt_1="A stage").status_code == 303
    (story,) = own_stories()
    stored = db.session.scalars(
        sa.select(StoredImage).filter_by(key=story.photos[0].image_key)
    ).all()
    assert stored
    for row in stored:
        assert bytes(row.data)[:4] == b"RIFF"
        assert b"Exif" not in bytes(row.data)
        assert b"SecretCam" not in bytes(row.data)


def test_the_spam_trap_looks_like_success_and_saves_nothing(client, conference):
    response = post(client, website="http://spam.example")
    assert response.status_code == 303
    assert own_stories() == []
    assert messages() == []


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        content.load_content_file()
        yield app


def test_a_post_without_its_token_is_refused_with_the_answers_kept(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/stories/submit", data=answers(body="Typed before the timeout"))
    html = text(response)
    assert response.status_code == 400
    assert "This page timed out" in html
    assert "Typed before the timeout" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Story)) == 0
    assert client.post("/stories/link", data={"email": "a@example.org"}).status_code == 400


@pytest.fixture
def limited_app(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        REGISTRATION_RATE_LIMIT="2 per minute",
        RESEND_RATE_LIMIT="1 per minute",
    )
    with app.app_context():
        content.load_content_file()
        yield app
    limiter.enabled = False


def test_too_many_stories_or_link_requests_get_the_429_page(limited_app):
    client = limited_app.test_client()
    statuses = [
        client.post("/stories/submit", data=answers(email=f"p{n}@example.org")).status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    assert client.get("/stories/submit").status_code == 200
    assert client.post("/stories/link", data={"email": "a@example.org"}).status_code == 303
    again = client.post("/stories/link", data={"email": "a@example.org"}, headers=AR)
    assert again.status_code == 429


def test_a_lost_link_is_answered_the_same_for_any_address(client, conference):
    post(client)
    known = client.post("/stories/link", data={"email": "omar@example.org"})
    unknown = client.post("/stories/link", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 303
    page = client.get("/stories/link/sent")
    assert "nobody@example.org" in text(page)
    assert len(messages("showcase.link")) == 1
    bad = client.post("/stories/link", data={"email": "not an address"})
    assert bad.status_code == 400
    assert client.get("/stories/link/sent").status_code == 302


def test_a_large_request_with_photos_is_read_and_a_larger_one_refused(client, conference):
    big = photo_bytes(size=(1500, 1500)) + b"\x00" * (2 * 1024 * 1024)  # > the site's 1 MB
    builder = EnvironBuilder(
        path="/stories/submit", method="POST", data=answers(photo_1=upload(big), alt_1="x")
    )
    environ = builder.get_environ()
    try:  # a body this large is spooled to a file the test must close
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code in (303, 400)  # read, not refused by size
    assert response.status_code != 413
    huge = b"\xff" * (40 * 1024 * 1024)  # refused from its Content-Length, never read
    response = client.post(
        "/stories/submit", data=huge, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
