"""Moderation by organizers: approve, reject with a reason (emailed to the submitter in
their language), edit with the change recorded, feature on the conference page, and
withdraw consent on the person's request.

Each service changes the story, calls ``publication.refresh`` (photos served or not,
every cached page keyed anew) and writes the audit log, in the caller's transaction: the
caller commits. A story that cannot take the action raises ``ModerationError`` whose
text is the organizer's message.
"""

from flask_babel import lazy_gettext as _l

from conference import audit, richtext, text
from conference.clock import utcnow
from conference.i18n import current_language
from conference.showcase import consent, moderation_emails, publication
from conference.showcase.models import StoryRevision, StoryStatus

REASON_MAX = 2000
TITLE_MAX = 200
BODY_MAX = 20_000
EDITABLE = ("title", "body", "other_title", "other_body", "track")
WITHDRAWAL_WORDING = _l(
    "An organizer withdrew all consent for this story at the request of the person "
    "concerned: it is no longer shown anywhere."
)


class ModerationError(ValueError):
    """An action this story cannot take now; ``str()`` is the organizer's message."""


def _name(actor):
    return (getattr(actor, "name", None) or getattr(actor, "email", None) or "organizer")[:200]


def _decided(story, actor, now):
    story.decided_at = now
    story.decided_by = _name(actor)
    story.updated_at = now


def may_approve(story):
    return story.status in (StoryStatus.submitted, StoryStatus.rejected)


def may_reject(story):
    return story.status in (StoryStatus.submitted, StoryStatus.approved)


def approve(story, *, actor, now=None):
    """Approve the story: shown wherever its consent allows, from this commit on."""
    if not may_approve(story):
        raise ModerationError(_l("Only a story waiting for a decision can be approved."))
    now = now or utcnow()
    story.status = StoryStatus.approved
    story.reject_reason = None
    _decided(story, actor, now)
    publication.refresh(story)
    audit.record("story.approved", actor=actor, story_id=story.id)


def reject(story, *, reason, actor, now=None):
    """Reject the story with ``reason``, which is emailed to the submitter."""
    if not may_reject(story):
        raise ModerationError(_l("This story cannot be rejected now."))
    reason = text.clean_text(reason, multiline=True) or ""
    if not reason:
        raise ModerationError(_l("Enter the reason, which the submitter will read."))
    if len(reason) > REASON_MAX:
        raise ModerationError(_l("Write the reason in 2,000 characters or fewer."))
    now = now or utcnow()
    story.status = StoryStatus.rejected
    story.reject_reason = reason
    story.featured = False
    _decided(story, actor, now)
    publication.refresh(story)
    moderation_emails.queue_rejected(story)
    audit.record("story.rejected", actor=actor, story_id=story.id)


def edit(story, *, actor, now=None, **values):
    """Change the story's texts or track; record what changed, from what to what.

    ``values`` holds any of ``EDITABLE`` (``track`` is a ``Track`` or ``None``). Returns
    the ``StoryRevision`` (``None`` when nothing changed).
    """
    if story.status is StoryStatus.withdrawn:
        raise ModerationError(_l("A withdrawn story cannot be edited."))
    cleaned = _cleaned(story, values)
    changes = {}
    for field, value in cleaned.items():
        before = getattr(story, field)
        if field == "track":
            if (before.id if before else None) != (value.id if value else None):
                changes["track"] = [before.key if before else None, value.key if value else None]
            continue
        if (before or None) != (value or None):
            changes[field] = [before, value]
    if not changes:
        return None
    now = now or utcnow()
    for field, value in cleaned.items():
        setattr(story, field, value)
    story.updated_at = now
    revision = StoryRevision(at=now, by_role="organizer", by_name=_name(actor), changes=changes)
    story.revisions.append(revision)
    publication.refresh(story)
    audit.record("story.edited", actor=actor, story_id=story.id, fields=sorted(changes))
    return revision


def _cleaned(story, values):
    cleaned = {}
    for field, value in values.items():
        if field not in EDITABLE:
            raise TypeError(f"not an editable field: {field}")
        if field == "track":
            cleaned[field] = value
        elif field in ("title", "other_title"):
            cleaned[field] = text.clean_text(value) or None
            if cleaned[field] and len(cleaned[field]) > TITLE_MAX:
                raise ModerationError(_l("Write a title in 200 characters or fewer."))
        else:
            cleaned[field] = richtext.plain(value) or None
            if cleaned[field] and len(cleaned[field]) > BODY_MAX:
                raise ModerationError(_l("Write the story in 20,000 characters or fewer."))
    if "title" in cleaned and not cleaned["title"]:
        raise ModerationError(_l("The story needs a title."))
    if "body" in cleaned and not cleaned["body"]:
        raise ModerationError(_l("The story needs its text."))
    return cleaned


def set_featured(story, featured, *, actor, today=None):
    """Feature the story on the conference page (or stop): only a story shown publicly."""
    today = today or publication.conference_today(story.conference)
    if featured and not story.shown_publicly(today):
        raise ModerationError(_l("Only a story shown on the public site can be featured."))
    if story.featured == featured:
        return False
    story.featured = featured
    story.updated_at = utcnow()
    publication.refresh(story, today=today)
    audit.record(
        "story.featured" if featured else "story.unfeatured", actor=actor, story_id=story.id
    )
    return True


def withdraw_on_request(story, *, actor, now=None):
    """Withdraw all consent because the person asked an organizer to: the story leaves
    every page, feed and sponsor view in this transaction."""
    if story.status is StoryStatus.withdrawn:
        raise ModerationError(_l("Consent for this story is already withdrawn."))
    language = current_language()
    return consent.withdraw(
        story,
        by_role=consent.ORGANIZER,
        by_name=_name(actor),
        language=language,
        wording=str(WITHDRAWAL_WORDING),
        actor=actor,
        now=now,
    )
