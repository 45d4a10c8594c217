"""The volunteers' set-up actions in the audit log's words (``audit_text`` adds them to
its ``ACTIONS``): roles, shifts, the settings and the coordinators' tracks. Each
describer returns ``(summary, lines)``; the role or shift is linked to its set-up page
when the reader may open it, by its number (no personal data).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import escape

from conference.manage.audit_values import (
    account_text,
    comma,
    fact,
    link,
    ltr,
    present,
    track_name,
    words,
)

FIELD_NAMES = {
    "name": _l("name"),
    "description": _l("description"),
    "languages": _l("languages"),
    "adults_only": _l("adults only"),
    "skill": _l("skill"),
    "track": _l("track"),
    "signup_open": _l("sign-up open or closed"),
    "opens_at": _l("opening"),
    "closes_at": _l("closing"),
    "change_deadline_hours": _l("change deadline"),
    "max_consecutive_minutes": _l("most consecutive hours"),
    "min_break_minutes": _l("shortest break"),
    "max_daily_minutes": _l("most hours in a day"),
    "guardian_hold_hours": _l("places held for a guardian"),
    "reminder_hours": _l("reminder"),
}
CHANGE_NAMES = {"time": _l("time"), "place": _l("place"), "role": _l("role")}
SCOPE_NAMES = {"general": _l("General (no track)")}


def _details(event):
    return event.details or {}


def _role(event):
    role_id = _details(event).get("role")
    number = ltr(f"#{role_id}")
    return link(number, "volunteers_setup.role_edit", role_id=role_id) if role_id else number


def _shift(event):
    shift_id = _details(event).get("shift")
    number = ltr(f"#{shift_id}")
    return link(number, "volunteers_setup.shift_edit", shift_id=shift_id) if shift_id else number


def _listed(names, labels):
    return escape(comma().join(str(labels.get(name, name)) for name in names or ())) or None


def _role_created(event):
    return words(_("Volunteer role %(role)s created", role=_role(event))), []


def _role_changed(event):
    changed = _listed(_details(event).get("fields"), FIELD_NAMES)
    summary = words(_("Volunteer role %(role)s changed", role=_role(event)))
    return summary, present(fact(_("Changed"), changed))


def _shift_created(event):
    return words(_("Volunteer shift %(shift)s created", shift=_shift(event))), []


def _told(event):
    told = _details(event).get("told") or 0
    if not told:
        return None
    return words(ngettext("%(num)s volunteer emailed", "%(num)s volunteers emailed", told))


def _shift_changed(event):
    details = _details(event)
    summary = words(_("Volunteer shift %(shift)s changed", shift=_shift(event)))
    return summary, present(
        fact(_("Changed"), _listed(details.get("changes"), CHANGE_NAMES)),
        fact(_("Minimum"), details.get("min_people")),
        fact(_("Maximum"), details.get("max_people")),
        _told(event),
    )


def _shift_deleted(event):
    shift_id = _details(event).get("shift")
    summary = words(_("Volunteer shift %(shift)s deleted", shift=ltr(f"#{shift_id}")))
    return summary, present(_told(event))


def _settings_changed(event):
    changed = _listed(_details(event).get("fields"), FIELD_NAMES)
    return words(_("Volunteering settings changed")), present(fact(_("Changed"), changed))


def _scopes_changed(event):
    details = _details(event)
    summary = words(
        _("Tracks of coordinator %(user)s changed", user=account_text(details.get("user")))
    )
    scopes = _listed(details.get("scopes"), {**SCOPE_NAMES, **_track_names(details)})
    return summary, present(fact(_("Tracks"), scopes or escape(_("none"))))


def _track_names(details):
    return {key: track_name(key) for key in details.get("scopes") or () if key != "general"}


SETUP_ACTIONS = {
    "volunteers.role_created": (_l("Volunteer role created"), _role_created),
    "volunteers.role_changed": (_l("Volunteer role changed"), _role_changed),
    "volunteers.shift_created": (_l("Volunteer shift created"), _shift_created),
    "volunteers.shift_changed": (_l("Volunteer shift changed"), _shift_changed),
    "volunteers.shift_deleted": (_l("Volunteer shift deleted"), _shift_deleted),
    "volunteers.settings_changed": (_l("Volunteering settings changed"), _settings_changed),
    "volunteers.scopes_changed": (_l("Coordinator's tracks changed"), _scopes_changed),
}


def setup_actions(Entry):  # noqa: N803 - the class, passed in: no import of audit_text
    """``SETUP_ACTIONS`` as ``audit_text.ACTIONS`` holds them: code → (name, describe)."""
    return {
        code: (name, lambda event, say=say: Entry(*say(event)))
        for code, (name, say) in SETUP_ACTIONS.items()
    }
