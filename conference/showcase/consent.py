"""Consent: recording what was agreed, and withdrawing it.

Every change of a story's consent goes through ``record``: the story's columns hold the
consent in force, a ``ConsentRecord`` keeps the event as it was agreed (who, when, which
wording in which language). ``withdraw`` is the one way a story leaves every page at
once, whoever asks (the submitter or the guardian from their link, an organizer on
request): the story is unpublished, unfeatured, its photos stop being served, and every
cached page is keyed anew, in the caller's transaction.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference import audit
from conference.clock import utcnow
from conference.showcase import publication
from conference.showcase.models import ConsentEvent, ConsentRecord, StoryStatus

SUBMITTER = "submitter"
GUARDIAN = "guardian"
ORGANIZER = "organizer"


def record(story, event, *, by_role, by_name, language, wording, now=None):
    """Add a consent event reflecting the story's consent columns as they now are."""
    # Appended to the collection only (not also ``story=``): the append loads the
    # collection, and an entry already on it through the backref would be flushed early.
    entry = ConsentRecord(
        event=event,
        by_role=by_role,
        by_name=by_name[:200],
        at=now or utcnow(),
        language=language,
        wording=wording,
        public=story.consent_public,
        sponsors=story.consent_sponsors,
        until=story.consent_until,
        credit=story.credit,
    )
    story.consents.append(entry)
    return entry


def withdraw(story, *, by_role, by_name, language, wording, actor=None, now=None):
    """Withdraw all consent: the story is shown nowhere from this transaction on.

    Returns whether anything changed (a story already withdrawn is left as it is). The
    caller commits. ``actor`` is the organizer who acted on a request, if one did.
    """
    if story.status is StoryStatus.withdrawn:
        return False
    now = now or utcnow()
    story.status = StoryStatus.withdrawn
    story.withdrawn_at = now
    story.updated_at = now
    story.featured = False
    story.consent_public = False
    story.consent_sponsors = False
    record(
        story,
        ConsentEvent.withdrawn,
        by_role=by_role,
        by_name=by_name,
        language=language,
        wording=wording,
        now=now,
    )
    publication.refresh(story)
    audit.record(
        "story.withdrawn",
        actor=actor,
        actor_name=by_role,
        story_id=story.id,
        by=by_role,
    )
    return True


# ---------------------------------------------------------------------------------------
# In words, for the submitter's page and the organizers' (the history as it happened)

CONSENT_EVENTS = {
    ("given", SUBMITTER): _l("consent given with the story"),
    ("changed", SUBMITTER): _l("consent changed by the person who sent it"),
    ("guardian_confirmed", GUARDIAN): _l("confirmed by the parent or guardian"),
    ("withdrawn", SUBMITTER): _l("withdrawn by the person who sent it"),
    ("withdrawn", GUARDIAN): _l("withdrawn by the parent or guardian"),
    ("withdrawn", ORGANIZER): _l("withdrawn by an organizer, on request"),
}


def consent_event(entry):
    """A consent record in words: what happened and who did it."""
    words = CONSENT_EVENTS.get((entry.event.value, entry.by_role))
    return words if words is not None else _("consent changed")


ROLE_WORDS = {
    SUBMITTER: _l("the person who sent it"),
    GUARDIAN: _l("parent or guardian"),
    ORGANIZER: _l("organizer"),
}
# The story's parts an edit may change (``StoryRevision.changes``), in words.
FIELD_WORDS = {
    "title": _l("Title"),
    "body": _l("The story"),
    "other_title": _l("Title in the other language"),
    "other_body": _l("The story in the other language"),
    "links": _l("Links"),
    "track": _l("Track"),
}


def role_words(role):
    """Who acted (``submitter``, ``guardian``, ``organizer``), in words."""
    return ROLE_WORDS.get(role, role)


def field_words(field):
    """A changed part of a story in words (a photo's description has its id in its key)."""
    if field.startswith("photo_") and field.endswith("_alt"):
        return _("Description of a photo")
    return FIELD_WORDS.get(field, field)


def revision_value(value):
    """A value before or after an edit, as text (links one a line)."""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return value or ""
