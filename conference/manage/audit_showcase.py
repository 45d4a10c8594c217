"""The showcase's and sponsors' audit actions in words (``audit_text.ACTIONS`` takes them
from ``showcase_actions``): stories submitted, confirmed, decided, edited, featured and
withdrawn; sponsors edited. The story is linked to its moderation page. ``Entry`` is
passed in: this module does not import ``audit_text``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.manage.audit_values import link, ltr, words

# Who withdrew consent, in words.
BY_WORDS = {
    "submitter": _l("by the person who submitted it"),
    "guardian": _l("by the guardian"),
    "organizer": _l("by an organizer, on request"),
}


def _story(details):
    story_id = details.get("story_id")
    text = words(_("story %(number)s", number=ltr(story_id)))
    if not isinstance(story_id, int):
        return text
    return link(text, "showcase_staff.story", story_id=story_id)


def _withdrawn(details):
    by = BY_WORDS.get(details.get("by"))
    if by is None:
        return _("Consent for %(story)s withdrawn", story=_story(details))
    return _("Consent for %(story)s withdrawn %(by)s", story=_story(details), by=by)


# The story's fields an edit may change, in words.
FIELD_WORDS = {
    "title": _l("title"),
    "body": _l("text"),
    "other_title": _l("title in the other language"),
    "other_body": _l("text in the other language"),
    "track": _l("track"),
}


def _approved(details):
    return _("Approved %(story)s for publication", story=_story(details))


def _rejected(details):
    return _("Rejected %(story)s (the submitter was emailed the reason)", story=_story(details))


def _edited(details):
    fields = [str(FIELD_WORDS[f]) for f in details.get("fields") or () if f in FIELD_WORDS]
    if not fields:
        return _("Edited %(story)s", story=_story(details))
    return _("Edited %(story)s: %(fields)s", story=_story(details), fields=", ".join(fields))


def _featured(details):
    return _("Featured %(story)s on the conference page", story=_story(details))


def _unfeatured(details):
    return _("Stopped featuring %(story)s on the conference page", story=_story(details))


def _entry(Entry, message_of):  # noqa: N803 - the class
    def describe(event):
        return Entry(words(message_of(event.details or {})))

    return describe


def showcase_actions(Entry):  # noqa: N803 - audit_text's class
    """The showcase's actions: code → (name, function of an event → ``Entry``)."""
    return {
        "story.approved": (_l("Story approved"), _entry(Entry, _approved)),
        "story.rejected": (_l("Story rejected"), _entry(Entry, _rejected)),
        "story.edited": (_l("Story edited"), _entry(Entry, _edited)),
        "story.featured": (_l("Story featured"), _entry(Entry, _featured)),
        "story.unfeatured": (_l("Story no longer featured"), _entry(Entry, _unfeatured)),
        "story.withdrawn": (_l("Story consent withdrawn"), _entry(Entry, _withdrawn)),
    }
