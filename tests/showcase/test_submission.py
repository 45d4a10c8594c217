"""The submission services: a story with its consent as agreed, edits kept as revisions,
consent changes recorded, the guardian's confirmation, and withdrawal leaving every state
consistent."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from conference import images
from conference.audit import AuditEvent
from conference.clock import utcnow
from conference.extensions import db
from conference.images import StoredImage
from conference.showcase import changes, consent, submission
from conference.showcase.models import (
    ConsentEvent,
    Credit,
    Story,
    StoryStatus,
    StoryToken,
    TokenPurpose,
)

from .conftest import (
    delivered,
    guardian_token,
    make_story,
    manage_token,
    messages,
    minor_story,
    photo,
)


def approve(story):
    story.status = StoryStatus.approved
    from conference.showcase import publication

    publication.refresh(story)
    db.session.commit()


def visible(story):
    keys = [p.image_key for p in story.photos]
    return set(db.session.scalars(sa.select(StoredImage.visible).where(StoredImage.key.in_(keys))))


def test_a_story_is_saved_with_its_consent_as_agreed(conference):
    story = make_story(conference, photos=[photo()], shown_language="ar")
    assert story.status is StoryStatus.submitted
    assert story.links == ["https://example.org/choir"]
    given = story.consents[0]
    assert given.event is ConsentEvent.given
    assert (given.by_role, given.by_name, given.language) == ("submitter", "Omar Haddad", "ar")
    assert given.wording == submission.wording("given", "ar")
    assert "أوافق" in given.wording
    assert (given.public, given.sponsors, given.until, given.credit) == (
        True,
        False,
        None,
        Credit.full_name,
    )
    assert story.photos[0].alt == "A choir on a stage"
    assert visible(story) == {False}  # not served before approval
    assert not story.shown_publicly(date.today())
    kinds = [m.kind for m in messages()]
    assert kinds == ["showcase.confirmation"]
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "story.submitted"
    )


def test_no_place_chosen_or_a_past_end_date_is_refused(conference):
    with pytest.raises(submission.SubmissionError) as refused:
        make_story(conference, consent_public=False)
    assert refused.value.field == "places"
    with pytest.raises(submission.SubmissionError) as refused:
        make_story(conference, consent_until=date(2000, 1, 1))
    assert refused.value.field == "until"
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Story).filter_by(is_sample=False))
        == 0
    )


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "https://",
        "ftp://example.org",
        "https://exa mple.org",
        "https://example.org/\u202egnp.exe",
    ],
)
def test_only_plain_web_addresses_are_taken_as_links(conference, link):
    with pytest.raises(submission.SubmissionError):
        make_story(conference, links=[link])


def test_a_minor_waits_for_the_guardian_who_confirms(conference):
    story = minor_story(conference)
    assert story.status is StoryStatus.awaiting_guardian
    assert [m.kind for m in messages()] == ["showcase.confirmation", "showcase.guardian_request"]
    assert messages("showcase.guardian_request")[0].recipient == "huda@example.org"
    token = guardian_token(story)
    assert submission.find_by_token(token, TokenPurpose.guardian) == story
    assert submission.find_by_token(token) is None  # not the submitter's link
    assert changes.confirm_guardian(story, language="en")
    assert story.status is StoryStatus.submitted
    assert story.guardian_confirmed_at is not None
    record = story.consents[-1]
    assert (record.event, record.by_role, record.by_name) == (
        ConsentEvent.guardian_confirmed,
        "guardian",
        "Huda Haddad",
    )
    assert record.wording == submission.wording("guardian", "en")
    assert not changes.confirm_guardian(story, language="en")  # twice changes nothing
    assert len(messages("showcase.guardian_confirmed")) == 1


def test_the_guardian_must_be_someone_else(conference):
    with pytest.raises(submission.SubmissionError) as refused:
        minor_story(conference, submitter_email="huda@example.org")
    assert refused.value.field == "guardian_email"


def test_an_edit_is_a_revision_and_an_approved_story_is_read_again(conference):
    story = make_story(conference, photos=[photo()])
    approve(story)
    assert visible(story) == {True}
    changed = changes.edit(
        story,
        title="A choir in Dearborn",
        body=story.body,
        other_title="",
        other_body="",
        links=[],
        alts={story.photos[0].id: "The choir singing"},
    )
    assert changed
    assert story.status is StoryStatus.submitted
    assert visible(story) == {False}
    revision = story.revisions[-1]
    assert revision.changes["title"] == ["A choir in Detroit", "A choir in Dearborn"]
    assert revision.changes["links"] == [["https://example.org/choir"], []]
    assert story.photos[0].alt == "The choir singing"
    same = dict(
        title=story.title, body=story.body, other_title="", other_body="", links=[], alts={}
    )
    assert not changes.edit(story, **same)
    assert len(story.revisions) == 1


def test_an_edit_of_a_minor_s_story_asks_the_guardian_again(conference):
    story = minor_story(conference)
    changes.confirm_guardian(story, language="en")
    assert story.status is StoryStatus.submitted
    changes.edit(
        story, title="New", body="New words", other_title="", other_body="", links=[], alts={}
    )
    assert story.guardian_confirmed_at is None
    assert story.status is StoryStatus.awaiting_guardian
    assert len(messages("showcase.guardian_request")) == 2


def test_a_consent_change_is_recorded_and_refreshes_what_is_shown(conference):
    story = make_story(conference, photos=[photo()])
    approve(story)
    until = date.today() + timedelta(days=400)
    assert changes.change_consent(
        story, credit="initials", public=False, sponsors=True, until=until, language="ar"
    )
    record = story.consents[-1]
    assert (record.event, record.language, record.public, record.sponsors, record.until) == (
        ConsentEvent.changed,
        "ar",
        False,
        True,
        until,
    )
    assert record.credit is Credit.initials
    assert story.credit_line == "R. A. K."
    assert not story.shown_publicly(date.today())
    assert story.shown_to_sponsors(date.today())
    assert visible(story) == {True}


def test_a_wider_consent_for_a_minor_asks_the_guardian_again(conference):
    story = minor_story(conference, consent_sponsors=False)
    changes.confirm_guardian(story, language="en")
    approve(story)
    assert story.shown_publicly(date.today())
    changes.change_consent(
        story, credit="full_name", public=True, sponsors=True, until=None, language="en"
    )
    assert story.guardian_confirmed_at is None
    assert not story.shown_publicly(date.today())
    assert len(messages("showcase.guardian_request")) == 2
    # Narrowing needs nobody.
    story2 = minor_story(
        conference, submitter_email="b@example.org", guardian_email="g@example.org"
    )
    changes.confirm_guardian(story2, language="en")
    changes.change_consent(
        story2, credit="anonymous", public=True, sponsors=False, until=None, language="en"
    )
    assert story2.guardian_confirmed_at is not None


@pytest.mark.parametrize("by", [consent.SUBMITTER, consent.GUARDIAN])
def test_withdrawal_leaves_every_state_consistent(conference, by):
    story = minor_story(conference, photos=[photo(), photo(colour=(0, 0, 200))])
    manage = manage_token(story)
    guardian = guardian_token(story)
    changes.confirm_guardian(story, language="en")
    story.featured = True
    approve(story)
    assert visible(story) == {True}
    version = story.conference.content_version

    assert changes.withdraw(story, by_role=by, language="ar")

    db.session.expire_all()
    story = db.session.get(Story, story.id)
    assert story.status is StoryStatus.withdrawn
    assert story.withdrawn_at is not None
    assert not (story.featured)
    assert not (story.consent_public)
    assert not (story.consent_sponsors)
    assert not story.shown_publicly(date.today())
    assert not story.shown_to_sponsors(date.today())
    assert visible(story) == {False}
    assert story.conference.content_version != version
    record = story.consents[-1]
    assert (record.event, record.by_role, record.language) == (ConsentEvent.withdrawn, by, "ar")
    assert record.wording == submission.wording("withdraw", "ar")
    assert submission.find_by_token(guardian, TokenPurpose.guardian) is None
    assert submission.find_by_token(manage) == story  # the submitter still sees the status
    withdrawn = messages("showcase.withdrawn")
    assert len(withdrawn) == 1
    assert withdrawn[0].snapshot["by"] == by
    actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions.count("story.withdrawn") == 1
    # Twice changes nothing; nothing can change afterwards.
    assert not changes.withdraw(story, by_role=by, language="en")
    assert len(messages("showcase.withdrawn")) == 1
    with pytest.raises(submission.SubmissionError):
        changes.change_consent(
            story, credit="full_name", public=True, sponsors=True, until=None, language="en"
        )
    with pytest.raises(submission.SubmissionError):
        changes.edit(story, title="x", body="y", other_title="", other_body="", links=[], alts={})
    assert not changes.confirm_guardian(story, language="en")
    assert not story.consent_public
    # A guardian request queued before is not sent with a link any more.
    guardian_rows = messages("showcase.guardian_request")
    from conference.mailer import outbox

    with pytest.raises(outbox.RenderError):
        outbox.render(guardian_rows[0])


def test_only_the_hash_of_a_private_link_is_stored(conference, story):
    token = manage_token(story)
    hashes = list(db.session.scalars(sa.select(StoryToken.token_hash)))
    assert token not in hashes
    assert len(hashes) == 1
    assert submission.find_by_token(token) == story
    assert submission.find_by_token(token + "x") is None
    assert submission.find_by_token("x" * 500) is None


def test_a_lost_link_is_sent_for_the_address_s_stories_only(conference, story):
    assert submission.send_links(conference, "OMAR@example.org") == 1
    assert submission.send_links(conference, "nobody@example.org") == 0
    assert submission.send_links(conference, "not an address") == 0
    rows = messages("showcase.link")
    assert len(rows) == 1
    assert (
        submission.find_by_token(
            __import__("tests.showcase.conftest", fromlist=["token_in"]).token_in(
                delivered(rows[0]).text, "mine"
            )
        )
        == story
    )


def test_photos_are_stored_without_their_metadata(conference):
    story = make_story(conference, photos=[photo(gps=True, size=(1600, 1200))])
    rows = db.session.scalars(sa.select(StoredImage).filter_by(key=story.photos[0].image_key)).all()
    assert sorted(row.width for row in rows) == list(images.WIDTHS)
    for row in rows:
        data = bytes(row.data)
        assert b"Exif" not in data
        assert b"SecretCam" not in data
        assert b"GPS" not in data
    assert story.photos[0].width == 1200
    assert utcnow()  # the clock is real here
