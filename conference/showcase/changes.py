"""What the submitter and the guardian change from their private links: the story's
words (kept as revisions), the consent (recorded, then ``publication.refresh``), the
guardian's confirmation, and withdrawal (``consent.withdraw``). Each function owns its
transaction and commits; the emails are queued in it.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference import audit, database
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.showcase import consent, emails, publication
from conference.showcase.models import (
    ConsentEvent,
    Credit,
    StoryRevision,
    StoryStatus,
    StoryToken,
    TokenPurpose,
)
from conference.showcase.submission import (
    OPEN,
    TITLE_MAX,
    SubmissionError,
    clean_alt,
    clean_line,
    clean_links,
    clean_scope,
    clean_story_text,
    wording,
)


def _editable(story):
    if story.status not in OPEN:
        raise SubmissionError(_l("This story was withdrawn or declined: it can no longer change."))


def _lock(story, *, editable=True):
    """Begin the write and hold the story's row, read afresh: a twin request (a withdrawal
    and an edit at once, two confirmations) waits for this one and then sees its result."""
    database.begin_write()
    db.session.refresh(story, with_for_update=True)
    if editable and story.status not in OPEN:
        db.session.rollback()
        _editable(story)


# ---------------------------------------------------------------------------------------
# Changes from the submitter's link


def edit(story, *, title, body, other_title, other_body, links, alts, now=None):
    """Change the story's text, links and photo descriptions; keep a revision. Commits.

    ``alts`` maps a photo's id to its new description. An approved story that changes
    goes back to moderation: nothing unread is ever shown; a minor's guardian who had
    confirmed is asked again. Returns whether anything
    changed. :raises SubmissionError: what is wrong (nothing is saved).
    """
    now = now or utcnow()
    _editable(story)
    after = {
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
        "links": clean_links(links),
    }
    photos = {photo.id: photo for photo in story.photos}
    for photo_id, alt in (alts or {}).items():
        if photo_id in photos and not clean_alt(alt):
            raise SubmissionError(_l("Describe each photo for people who cannot see it"))
    _lock(story)
    changes = {}
    for name, value in after.items():
        if getattr(story, name) != value:
            changes[name] = [getattr(story, name), value]
            setattr(story, name, value)
    for photo_id, alt in (alts or {}).items():
        photo = photos.get(photo_id)
        if photo is not None and photo.alt != clean_alt(alt):
            changes[f"photo_{photo.id}_alt"] = [photo.alt, clean_alt(alt)]
            photo.alt = clean_alt(alt)
    if not changes:
        db.session.commit()
        return False
    story.revisions.append(
        StoryRevision(
            at=now, by_role=consent.SUBMITTER, by_name=story.submitter_name, changes=changes
        )
    )
    story.updated_at = now
    if story.status is StoryStatus.approved:
        story.status = StoryStatus.submitted
        story.featured = False
    if story.subject_is_minor and story.guardian_confirmed_at is not None:
        # The guardian agreed to the words as they were: they read the new ones first.
        _ask_guardian_again(story)
    publication.refresh(story)
    audit.record("story.edited", story_id=story.id, by=consent.SUBMITTER, fields=sorted(changes))
    db.session.commit()
    return True


def change_consent(story, *, credit, public, sponsors, until, language, now=None):
    """Change how the person is credited, where and until when the story may appear.

    Recorded as a consent event with the wording shown (in ``language``). For a person
    under 18, a wider consent (a new place, a later or no end date, a more identifying
    credit) waits for their guardian again. Commits; returns whether anything changed.
    """
    now = now or utcnow()
    _editable(story)
    today = publication.conference_today(story.conference, now)
    credit, public, sponsors, until = clean_scope(credit, public, sponsors, until, today)
    _lock(story)
    before = (story.credit, story.consent_public, story.consent_sponsors, story.consent_until)
    if before == (credit, public, sponsors, until):
        db.session.commit()
        return False
    widened = _wider(before, (credit, public, sponsors, until))
    story.credit = credit
    story.consent_public = public
    story.consent_sponsors = sponsors
    story.consent_until = until
    story.updated_at = now
    consent.record(
        story,
        ConsentEvent.changed,
        by_role=consent.SUBMITTER,
        by_name=story.submitter_name,
        language=language,
        wording=wording("given", language),
        now=now,
    )
    asks_guardian = story.subject_is_minor and widened
    if asks_guardian:
        _ask_guardian_again(story)
    publication.refresh(story)
    audit.record("story.consent_changed", story_id=story.id, guardian_asked=asks_guardian)
    db.session.commit()
    return True


def _ask_guardian_again(story):
    story.guardian_confirmed_at = None
    if story.status is StoryStatus.submitted:
        story.status = StoryStatus.awaiting_guardian
    outbox.enqueue(emails.guardian_request(story))


CREDIT_ORDER = [Credit.anonymous, Credit.initials, Credit.full_name]


def _wider(before, after):
    (credit0, public0, sponsors0, until0), (credit1, public1, sponsors1, until1) = before, after
    return (
        CREDIT_ORDER.index(credit1) > CREDIT_ORDER.index(credit0)
        or (public1 and not public0)
        or (sponsors1 and not sponsors0)
        or (until0 is not None and (until1 is None or until1 > until0))
    )


def withdraw(story, *, by_role, language, now=None):
    """Withdraw consent (the submitter's or the guardian's): shown nowhere from now on.

    The guardian's link stops working; the submitter is told by email. Commits; returns
    whether anything changed (a second withdrawal changes nothing).
    """
    _lock(story, editable=False)
    by_name = story.guardian_name if by_role == consent.GUARDIAN else story.submitter_name
    changed = consent.withdraw(
        story,
        by_role=by_role,
        by_name=by_name or "",
        language=language,
        wording=wording("withdraw", language),
        now=now,
    )
    if changed:
        db.session.execute(
            sa.delete(StoryToken).where(
                StoryToken.story_id == story.id, StoryToken.purpose == TokenPurpose.guardian
            )
        )
        outbox.enqueue(emails.withdrawn(story, by_role))
    db.session.commit()
    return changed


# ---------------------------------------------------------------------------------------
# The guardian


def confirm_guardian(story, *, language, now=None):
    """The guardian agrees: their consent is recorded, the story goes to moderation.

    A second confirmation, or one after a withdrawal, changes nothing. Commits.
    """
    now = now or utcnow()
    _lock(story, editable=False)
    if story.status not in OPEN or story.guardian_confirmed_at is not None:
        db.session.commit()
        return False
    story.guardian_confirmed_at = now
    story.updated_at = now
    if story.status is StoryStatus.awaiting_guardian:
        story.status = StoryStatus.submitted
    consent.record(
        story,
        ConsentEvent.guardian_confirmed,
        by_role=consent.GUARDIAN,
        by_name=story.guardian_name or "",
        language=language,
        wording=wording("guardian", language),
        now=now,
    )
    publication.refresh(story)
    outbox.enqueue(emails.guardian_confirmed(story))
    audit.record("story.guardian_confirmed", story_id=story.id)
    db.session.commit()
    return True


def status_words(story):
    """The story's status as its submitter reads it."""
    return {
        StoryStatus.awaiting_guardian: _("Waiting for the parent or guardian to confirm"),
        StoryStatus.submitted: _("Waiting for an organizer to read it"),
        StoryStatus.approved: _("Approved: shown where you agreed"),
        StoryStatus.rejected: _("Not published"),
        StoryStatus.withdrawn: _("Withdrawn: shown nowhere"),
    }[story.status]
