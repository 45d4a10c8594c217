"""The submitter's private link and the guardian's page: status, edit, consent, withdraw,
confirm or refuse; both languages; secrets kept out of caches, Referers and indexes;
hostile story text harmless on every page."""

import re

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.showcase.models import ConsentEvent, Story, StoryStatus

from .conftest import AR, guardian_token, make_story, manage_token, messages, minor_story, photo

HOSTILE_BODY = (
    "Hello <script>alert('body')</script> <img src=x onerror=alert(1)>\n\n"
    "[click](javascript:alert(2)) [ok](https://example.org)\n\n"
    "evil\u202egnp.exe and hidden\u200bspace \U000e0041tag <b onmouseover=alert(3)>x</b>"
)
HOSTILE_TITLE = "<svg onload=alert(1)>\u202eTitle"


def text(response):
    return response.get_data(as_text=True)


def assert_harmless(html):
    """No markup of the story's survives as markup; hidden and reordering characters are gone."""
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # an event handler inside a real tag
    assert not re.search(r"<(script|svg|iframe|object|embed)\b", html, re.IGNORECASE)
    assert not re.search(r"href=[\"']?\s*javascript:", html, re.IGNORECASE)
    assert "<img src=x" not in html
    for hidden in ("\u202e", "\u200b", "\U000e0041"):
        assert hidden not in html


@pytest.fixture
def hostile(conference):
    return minor_story(
        conference,
        title=HOSTILE_TITLE,
        body=HOSTILE_BODY,
        other_body="<iframe src=//evil></iframe> نص",
        person_name="<b>Rania</b>",
        photos=[photo()],
    )


def test_the_private_page_shows_the_story_safely_in_its_own_direction(client, hostile):
    token = manage_token(hostile)
    for headers in ({}, AR):
        response = client.get(f"/stories/mine/{token}", headers=headers)
        html = text(response)
        assert response.status_code == 200
        assert_harmless(html)
        assert "&lt;script&gt;" in html or "alert(&#39;body&#39;)" in html
        assert 'href="https://example.org"' in html
        assert 'lang="en" dir="ltr"' in html
        assert 'lang="ar" dir="rtl"' in html
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex"


def test_the_guardian_page_and_every_email_show_the_story_safely(client, hostile):
    token = guardian_token(hostile)
    html = text(client.get(f"/stories/guardian/{token}"))
    assert_harmless(html)
    from conference.mailer import outbox

    for row in messages():
        for language in ("en", "ar"):
            row.language = language
            email = outbox.render_for_display(row)
            for part in (email.subject, email.html):
                assert_harmless(part)
            # Plain text is shown as text; only what hides or reorders it must go.
            assert not any(c in email.text for c in ("\u202e", "\u200b", "\U000e0041"))
            assert "<script" not in email.html
            assert "<b>" not in email.html


def test_unknown_links_answer_404(client, conference):
    assert client.get("/stories/mine/not-a-token").status_code == 404
    assert client.get("/stories/mine/not-a-token/edit").status_code == 404
    response = client.get("/stories/guardian/not-a-token", headers=AR)
    assert response.status_code == 404
    assert 'lang="ar"' in text(response)


def test_the_submitter_edits_the_words_links_and_photo_descriptions(client, conference):
    story = make_story(conference, photos=[photo()])
    token = manage_token(story)
    page = client.get(f"/stories/mine/{token}/edit")
    assert page.status_code == 200
    assert 'for="alts-0"' in text(page)
    bad = client.post(
        f"/stories/mine/{token}/edit",
        data={"title": "New", "body": "Words", "link_1": "javascript:alert(1)", "alts-0": "A"},
    )
    assert bad.status_code == 400
    assert 'id="link_1-error"' in text(bad)
    assert "Words" in text(bad)
    done = client.post(
        f"/stories/mine/{token}/edit",
        data={"title": "New title", "body": "New words", "link_1": "", "alts-0": "A new alt"},
    )
    assert done.status_code == 303
    db.session.expire_all()
    story = db.session.get(Story, story.id)
    assert (story.title, story.body, story.links, story.photos[0].alt) == (
        "New title",
        "New words",
        [],
        "A new alt",
    )
    assert len(story.revisions) == 1


def test_the_submitter_changes_the_consent_in_arabic(client, conference, story):
    token = manage_token(story)
    assert client.get(f"/stories/mine/{token}/consent", headers=AR).status_code == 200
    none = client.post(f"/stories/mine/{token}/consent", data={"credit": "initials"}, headers=AR)
    assert none.status_code == 400
    assert 'id="places-error"' in text(none)
    response = client.post(
        f"/stories/mine/{token}/consent",
        data={"credit": "initials", "places": ["sponsors"], "until": "2999-01-01"},
        headers=AR,
    )
    assert response.status_code == 400
    assert 'id="until-error"' in text(response)
    response = client.post(
        f"/stories/mine/{token}/consent",
        data={"credit": "initials", "places": ["sponsors"], "until": ""},
        headers=AR,
    )
    assert response.status_code == 303
    db.session.expire_all()
    record = db.session.get(Story, story.id).consents[-1]
    assert (record.event, record.language, record.sponsors, record.public) == (
        ConsentEvent.changed,
        "ar",
        True,
        False,
    )


def test_withdrawing_from_the_link_asks_first_then_shows_nowhere(client, conference, story):
    token = manage_token(story)
    page = client.get(f"/stories/mine/{token}/withdraw")
    assert page.status_code == 200
    assert "Yes, withdraw my consent" in text(page)
    assert client.post(f"/stories/mine/{token}/withdraw").status_code == 303
    db.session.expire_all()
    story = db.session.get(Story, story.id)
    assert story.status is StoryStatus.withdrawn
    html = text(client.get(f"/stories/mine/{token}"))
    assert "Withdrawn" in html
    assert "/edit" not in html
    assert client.get(f"/stories/mine/{token}/edit").status_code == 303
    assert client.post(f"/stories/mine/{token}/consent", data={}).status_code == 303
    assert client.get(f"/stories/mine/{token}/withdraw").status_code == 303
    assert len(messages("showcase.withdrawn")) == 1


@pytest.mark.parametrize("headers", [{}, AR])
def test_the_guardian_confirms(client, conference, headers):
    story = minor_story(conference)
    token = guardian_token(story)
    page = client.get(f"/stories/guardian/{token}", headers=headers)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    response = client.post(
        f"/stories/guardian/{token}", data={"decision": "confirm"}, headers=headers
    )
    assert response.status_code == 303
    db.session.expire_all()
    story = db.session.get(Story, story.id)
    assert story.status is StoryStatus.submitted
    assert story.guardian_confirmed_at
    record = story.consents[-1]
    assert record.language == ("ar" if headers else "en")
    assert record.wording in text(page)
    assert "Thank you" in text(client.get(f"/stories/guardian/{token}")) or headers


def test_the_guardian_refuses_and_the_story_is_withdrawn(client, conference):
    story = minor_story(conference)
    token = guardian_token(story)
    response = client.post(f"/stories/guardian/{token}", data={"decision": "refuse"})
    assert response.status_code == 200
    assert "shown nowhere" in text(response)
    db.session.expire_all()
    story = db.session.get(Story, story.id)
    assert story.status is StoryStatus.withdrawn
    assert story.consents[-1].by_role == "guardian"
    assert client.get(f"/stories/guardian/{token}").status_code == 404
    (row,) = messages("showcase.withdrawn")
    assert row.recipient == "omar@example.org"


def test_the_confirmation_email_leads_to_the_private_page(client, conference):
    assert (
        client.post(
            "/stories/submit",
            data={
                "title": "T",
                "body": "B",
                "language": "ar",
                "person_name": "P",
                "track": "social",
                "minor": "no",
                "credit": "anonymous",
                "places": ["public"],
                "agree": "y",
                "full_name": "F",
                "email": "f@example.org",
                "email_language": "ar",
            },
        ).status_code
        == 303
    )
    story = db.session.scalar(sa.select(Story).filter_by(submitter_email="f@example.org"))
    token = manage_token(story)
    html = text(client.get(f"/stories/mine/{token}"))
    assert "Anonymous" in html
