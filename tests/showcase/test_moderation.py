"""Moderation: approve, reject with an emailed reason, edit with a record, feature,
withdraw on request; every decision audited; the pages for organizers only."""

import pytest
import sqlalchemy as sa

from conference.access import Role
from conference.audit import AuditEvent
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.showcase import moderation
from conference.showcase.models import StoryRevision, StoryStatus

from .conftest import AR, EN


def actions():
    return [event.action for event in db.session.scalars(sa.select(AuditEvent))]


def test_approving_shows_the_story_and_its_photo(app, client, story_in_state, login_as):
    story = story_in_state()
    key = story.photos[0].image_key
    assert client.get(f"/stories/{story.id}").status_code == 404
    assert client.get(f"/media/{key}-400.webp").status_code == 404
    login_as(Role.organizer)

    response = client.post(f"/manage/stories/{story.id}/approve")

    assert response.status_code == 303
    db.session.expire_all()
    assert story.status is StoryStatus.approved
    assert story.decided_by
    assert "story.approved" in actions()
    assert client.get(f"/stories/{story.id}").status_code == 200
    assert client.get(f"/media/{key}-400.webp").status_code == 200


def test_rejecting_emails_the_reason_in_the_submitters_language(
    app, client, story_in_state, login_as
):
    story = story_in_state(email_language="ar")
    login_as(Role.organizer)

    empty = client.post(f"/manage/stories/{story.id}/reject", data={"reason": " "}, headers=EN)
    response = client.post(
        f"/manage/stories/{story.id}/reject",
        data={"reason": "Please send a photo you took yourself."},
    )

    assert empty.status_code == 400
    assert "Enter the reason, which the submitter will read." in empty.get_data(as_text=True)
    assert response.status_code == 303
    db.session.expire_all()
    assert story.status is StoryStatus.rejected
    assert "story.rejected" in actions()
    row = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="showcase.rejected"))
    assert row.recipient == "rania@example.org"
    email = outbox.render(row)
    assert email.language == "ar"
    assert email.subject == "لم تُقبل قصتك المرسلة إلى «من أجل سوريا»"
    assert "Please send a photo you took yourself." in email.text
    assert "From Aleppo to Ohio" in email.html
    assert 'lang="en" dir="ltr"' in email.html  # the title keeps its own direction


def test_an_edit_is_recorded_with_its_before_and_after(app, client, story_in_state, login_as):
    story = story_in_state(status=StoryStatus.approved)
    login_as(Role.admin)

    form = client.get(f"/manage/stories/{story.id}/edit", headers=AR)
    response = client.post(
        f"/manage/stories/{story.id}/edit",
        data={"title": "From Aleppo to Columbus", "body": story.body, "track": "social"},
    )

    assert form.status_code == 200
    assert 'lang="ar" dir="rtl"' in form.get_data(as_text=True)
    assert response.status_code == 303
    revision = db.session.scalar(sa.select(StoryRevision))
    assert revision.by_role == "organizer"
    assert revision.changes == {
        "title": ["From Aleppo to Ohio", "From Aleppo to Columbus"],
        "track": ["arts", "social"],
    }
    page = client.get(f"/manage/stories/{story.id}").get_data(as_text=True)
    assert "From Aleppo to Columbus" in page
    assert "From Aleppo to Ohio" in page
    assert "From Aleppo to Columbus" in client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert "story.edited" in actions()


def test_a_featured_story_is_on_the_conference_page(app, client, story_in_state, login_as):
    story = story_in_state(status=StoryStatus.approved)
    unshown = story_in_state(title="Never approved")
    login_as(Role.organizer)

    assert "From Aleppo to Ohio" not in client.get("/").get_data(as_text=True)
    client.post(f"/manage/stories/{story.id}/feature", data={"featured": "1"})
    refused = client.post(f"/manage/stories/{unshown.id}/feature", data={"featured": "1"})
    home = client.get("/", headers=AR).get_data(as_text=True)
    client.post(f"/manage/stories/{story.id}/feature", data={"featured": "0"})
    after = client.get("/").get_data(as_text=True)

    assert refused.status_code == 303
    db.session.expire_all()
    assert not unshown.featured
    assert "From Aleppo to Ohio" in home
    assert "Never approved" not in home
    assert "From Aleppo to Ohio" not in after
    assert actions().count("story.featured") == 1
    assert "story.unfeatured" in actions()


def test_the_queue_filters_and_counts_in_both_languages(app, client, story_in_state, login_as):
    story_in_state(title="Waiting one")
    story_in_state(title="Approved one", status=StoryStatus.approved, track="social")
    login_as(Role.organizer)

    english = client.get("/manage/stories?status=submitted", headers=EN)
    arabic = client.get("/manage/stories?track=social", headers=AR)
    bad = client.get("/manage/stories?status=nonsense", headers=EN)

    assert english.status_code == 200
    assert "Waiting one" in english.get_data(as_text=True)
    assert "Approved one" not in english.get_data(as_text=True)
    html = arabic.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "Approved one" in html
    assert "Waiting one" not in html
    assert bad.status_code == 400
    assert "Select a status from the list" in bad.get_data(as_text=True)


def test_a_story_page_for_moderation_shows_both_texts_and_the_consent(
    app, client, story_in_state, login_as
):
    story = story_in_state(other_title="من حلب إلى أوهايو", other_body="افتتحنا مخبزًا.")
    login_as(Role.organizer)

    html = client.get(f"/manage/stories/{story.id}", headers=AR).get_data(as_text=True)

    assert '<section class="story__text" lang="en" dir="ltr">' in html
    assert '<section class="story__text" lang="ar" dir="rtl">' in html
    assert "I agree." in html
    assert "rania<wbr>@example" in html


def test_only_organizers_and_admins_moderate(app, client, story_in_state, login_as):
    story = story_in_state()
    assert client.get("/manage/stories").status_code == 302  # to sign in
    login_as(Role.coordinator)

    assert client.get("/manage/stories").status_code == 403
    assert client.get(f"/manage/stories/{story.id}").status_code == 403
    assert client.post(f"/manage/stories/{story.id}/approve").status_code == 403
    db.session.expire_all()
    assert story.status is StoryStatus.submitted


def test_services_refuse_what_a_story_cannot_take(app, story_in_state):
    story = story_in_state(status=StoryStatus.approved)
    with pytest.raises(moderation.ModerationError, match="waiting for a decision"):
        moderation.approve(story, actor=None)
    with pytest.raises(moderation.ModerationError, match="reason"):
        moderation.reject(story, reason="  ", actor=None)
    with pytest.raises(moderation.ModerationError, match="title"):
        moderation.edit(story, actor=None, title="")
    db.session.rollback()
