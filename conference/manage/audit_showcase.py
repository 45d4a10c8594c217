"""The showcase's and sponsors' audit actions in words (``audit_text.ACTIONS`` takes them
from ``showcase_actions``): stories submitted, confirmed, decided, edited, featured and
withdrawn; sponsors edited. The story is linked to its moderation page. ``Entry`` is
passed in: this module does not import ``audit_text``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

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


def _submitted(details):
    if details.get("minor"):
        return _("New %(story)s submitted; the person shown is under 18", story=_story(details))
    return _("New %(story)s submitted", story=_story(details))


def _consent_changed(details):
    if details.get("guardian_asked"):
        return _(
            "Consent for %(story)s changed; the guardian is asked again", story=_story(details)
        )
    return _("Consent for %(story)s changed", story=_story(details))


def _guardian_confirmed(details):
    return _("The guardian confirmed consent for %(story)s", story=_story(details))


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
    if details.get("by") == "submitter":
        return _("Text of %(story)s changed by the person who submitted it", story=_story(details))
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
        "story.submitted": (_l("Story submitted"), _entry(Entry, _submitted)),
        "story.consent_changed": (_l("Story consent changed"), _entry(Entry, _consent_changed)),
        "story.guardian_confirmed": (
            _l("Story confirmed by the guardian"),
            _entry(Entry, _guardian_confirmed),
        ),
        "story.approved": (_l("Story approved"), _entry(Entry, _approved)),
        "story.rejected": (_l("Story rejected"), _entry(Entry, _rejected)),
        "story.edited": (_l("Story edited"), _entry(Entry, _edited)),
        "story.featured": (_l("Story featured"), _entry(Entry, _featured)),
        "story.unfeatured": (_l("Story no longer featured"), _entry(Entry, _unfeatured)),
        "story.withdrawn": (_l("Story consent withdrawn"), _entry(Entry, _withdrawn)),
    }


# --- Sponsors ----------------------------------------------------------------------------


def _sponsor(details):
    name = details.get("name") or details.get("sponsor") or ""
    text = Markup('<bdi dir="auto">{}</bdi>').format(name)
    sponsor_id = details.get("sponsor_id")
    if not isinstance(sponsor_id, int):
        return text
    return link(text, "sponsors_staff.edit", sponsor_id=sponsor_id)


def _tier(details):
    return Markup('<bdi dir="auto">{}</bdi>').format(
        details.get("label") or details.get("tier") or ""
    )


def _user(details):
    return ltr(details.get("user") or "")


def sponsor_actions(Entry):  # noqa: N803 - audit_text's class
    """The sponsors' actions: code → (name, function of an event → ``Entry``)."""
    say = lambda message: _entry(Entry, message)  # noqa: E731 - a short local helper
    return {
        "sponsor.created": (
            _l("Sponsor added"),
            say(lambda d: _("Sponsor %(sponsor)s added", sponsor=_sponsor(d))),
        ),
        "sponsor.updated": (
            _l("Sponsor changed"),
            say(lambda d: _("Sponsor %(sponsor)s changed", sponsor=_sponsor(d))),
        ),
        "sponsor.moved": (
            _l("Sponsor moved"),
            say(lambda d: _("Sponsor %(sponsor)s moved in its tier", sponsor=_sponsor(d))),
        ),
        "sponsor.deleted": (
            _l("Sponsor deleted"),
            say(lambda d: _("Sponsor %(sponsor)s deleted", sponsor=_sponsor(d))),
        ),
        "sponsor.account_added": (
            _l("Sponsor portal account invited"),
            say(
                lambda d: _(
                    "%(user)s invited to the portal of %(sponsor)s",
                    user=_user(d),
                    sponsor=_sponsor(d),
                )
            ),
        ),
        "sponsor.account_removed": (
            _l("Sponsor portal account removed"),
            say(
                lambda d: _(
                    "%(user)s no longer has access to the portal of %(sponsor)s",
                    user=_user(d),
                    sponsor=_sponsor(d),
                )
            ),
        ),
        "sponsor_tier.created": (
            _l("Sponsor tier added"),
            say(lambda d: _("Sponsor tier %(tier)s added", tier=_tier(d))),
        ),
        "sponsor_tier.updated": (
            _l("Sponsor tier changed"),
            say(lambda d: _("Sponsor tier %(tier)s changed", tier=_tier(d))),
        ),
        "sponsor_tier.moved": (
            _l("Sponsor tier moved"),
            say(lambda d: _("Sponsor tier %(tier)s moved", tier=_tier(d))),
        ),
        "sponsor_tier.deleted": (
            _l("Sponsor tier deleted"),
            say(lambda d: _("Sponsor tier %(tier)s deleted", tier=_tier(d))),
        ),
    }
