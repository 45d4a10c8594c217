"""The audit log page (admins): who signed in, exported, changed roles, emailed attendees
or erased data, newest first.

Known actions and detail names are shown in words in the page language; anything else
(an action added later, say) is shown as stored, so nothing is ever hidden.
"""

import re

import sqlalchemy as sa
from flask import current_app, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference import audit as audit_trail
from conference.access import Role, roles
from conference.accounts.forms import ROLE_LABELS
from conference.audit import AuditEvent
from conference.content.models import Conference, Track
from conference.extensions import db
from conference.i18n import translate
from conference.manage.staff_views import bp
from conference.pager import keyset_page
from conference.registration.exports import COLUMNS
from conference.urls import database_id

PAGE_SIZE = 50
# What action names look like ("user.signed_in"), within the column's 64 characters.
ACTION_PATTERN = re.compile(r"[a-z0-9_.]{1,64}")

ACTION_LABELS = {
    "user.signed_in": _l("Signed in"),
    "user.locked": _l("Account locked after wrong passwords"),
    "user.created": _l("Account created"),
    "user.invited": _l("Invitation sent"),
    "user.role_changed": _l("Role changed"),
    "user.enabled": _l("Account enabled"),
    "user.disabled": _l("Account disabled"),
    "user.password_set": _l("Password set"),
    "user.two_factor_enabled": _l("Two-factor sign-in turned on"),
    "user.recovery_code_used": _l("Recovery code used"),
    "user.signed_out_everywhere": _l("Signed out on every device"),
    "user.session_ended": _l("A session ended from the account page"),
    "user.sign_in_slowed": _l("Sign-in slowed down after wrong passwords"),
    "user.code_failed": _l("Wrong authenticator code"),
    "user.code_step_closed": _l("Code step closed after wrong codes"),
    "checkin.searched": _l("Check-in search"),
    "attendees.exported": _l("Attendees exported"),
    "registrations.imported": _l("Registrations imported"),
    "attendees.listed": _l("Attendee list searched"),
    "attendee.viewed": _l("Attendee's details viewed"),
    "attendee.details_changed": _l("Attendee's details changed"),
    "attendee.email_changed": _l("Attendee's email address changed"),
    "attendee.cancelled": _l("Registration cancelled by staff"),
    "attendee.confirmation_resent": _l("Confirmation sent again"),
    "attendee.confirmed_from_waitlist": _l("Seat given from the waiting list"),
    "registration.erased": _l("Registration erased"),
    "track.capacity_changed": _l("Track capacity changed"),
    "checkin.undo": _l("Check-in taken back"),
    "bulk_email.sent": _l("Email sent to attendees"),
}

# Who acted, when it was not a staff member.
ACTOR_LABELS = {
    audit_trail.SYSTEM: _l("The system"),
    audit_trail.CONTENT_FILE: _l("The content file"),
}

DETAIL_LABELS = {
    "user": _l("Account"),
    "role": _l("Role"),
    "old": _l("Before"),
    "new": _l("After"),
    "previous": _l("Before"),
    "format": _l("File format"),
    "filters": _l("Filters"),
    "columns": _l("Columns"),
    "rows": _l("Rows"),
    "complete": _l("Download finished"),
    "registration_id": _l("Registration number"),
    "track": _l("Track"),
    "capacity": _l("Capacity"),
    "promoted": _l("Given a seat from the waiting list"),
    "recipients": _l("Recipients"),
    "essential": _l("Essential message"),
    "fields": _l("Fields"),
    "shown": _l("Shown"),
    "query": _l("Search"),
    "by": _l("Searched by"),
    "minutes": _l("Wait (minutes)"),
    "wrong_in_a_row": _l("Wrong codes in a row"),
}

SEARCHED_BY = {"name": _l("Name"), "code": _l("Check-in code")}

FILTER_LABELS = {
    "q": _l("Name or email address"),
    "track": _l("Track"),
    "status": _l("Status"),
    "language": _l("Email language"),
    "checked_in": _l("Check-in"),
}


# --- Queries and wording (plain functions) ------------------------------------------------


def list_page(*, action=None, before_id=None, size=PAGE_SIZE):
    """One page of events, newest first, and the id to continue before (or ``None``)."""
    query = sa.select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    return keyset_page(query, AuditEvent.id, before=before_id, size=size)


def action_label(action):
    """The action in words, or as stored when it is not one we know."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def actor_label(event):
    """Who acted in words when it was not a staff member, else ``None``."""
    if event.actor_id is not None:
        return None
    label = ACTOR_LABELS.get(event.actor_email)
    return str(label) if label is not None else None


def _track_name(key):
    """The track's name in the page language (its bilingual names read once), else ``key``."""
    if "audit_track_names" not in g:
        rows = db.session.execute(
            sa.select(Track.key, Track.name)
            .join(Conference)
            .where(Conference.slug == current_app.config["CONFERENCE_SLUG"])
        )
        g.audit_track_names = dict(rows.all())
    name = g.audit_track_names.get(key)
    return translate(name) if name else key


def _text(name, value):
    if value is None:
        return "—"
    if name == "track" and isinstance(value, str):
        return _track_name(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in ("role", "old", "new") and isinstance(value, str):
        try:
            return str(ROLE_LABELS[Role(value)])
        except ValueError:
            return value
    if name == "by" and value in SEARCHED_BY:
        return str(SEARCHED_BY[value])
    if name == "format" and isinstance(value, str):
        return value.upper()
    if name == "columns" and isinstance(value, list):
        return ", ".join(str(COLUMNS[key][0]) if key in COLUMNS else str(key) for key in value)
    if name == "filters" and isinstance(value, dict):
        if not value:
            return _("None: everyone")
        return "; ".join(
            f"{FILTER_LABELS.get(key, key)}: {_text(key, item)}" for key, item in value.items()
        )
    if isinstance(value, list):
        return ", ".join(_text(name, item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(key, item)}" for key, item in value.items())
    return str(value)


def describe(event):
    """The event's details as (label, text) pairs, in the page language."""
    return [
        (str(DETAIL_LABELS.get(name, name)), _text(name, value))
        for name, value in (event.details or {}).items()
    ]


# --- The page ----------------------------------------------------------------------------


@bp.route("/audit")
@roles(Role.admin)
def audit():
    """Admins: what staff did with people's data and with accounts, newest first."""
    action = request.args.get("action", "", type=str).strip()
    if not ACTION_PATTERN.fullmatch(action):
        action = ""  # not an action name: show every action
    before = request.args.get("before", type=database_id)
    rows, next_before = list_page(action=action or None, before_id=before)
    args = {"action": action} if action else {}
    response = make_response(
        render_template(
            "manage/audit.html",
            rows=rows,
            action=action,
            actions=sorted(
                ((key, str(label)) for key, label in ACTION_LABELS.items()),
                key=lambda item: item[1],
            ),
            action_label=action_label,
            actor_label=actor_label,
            describe=describe,
            first_url=url_for(".audit", **args) if before is not None else None,
            next_url=url_for(".audit", **args, before=next_before) if next_before else None,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
