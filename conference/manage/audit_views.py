"""The audit log page (admins): who signed in, exported, changed roles, emailed attendees
or erased data, newest first, in words (``audit_text``), filtered by person, action and
dates (``audit_log``).
"""

from flask import make_response, render_template, request, url_for

from conference.access import Role, roles
from conference.i18n import display_timezone
from conference.manage import audit_log, audit_text
from conference.manage.staff_views import bp
from conference.urls import database_id


@bp.route("/audit")
@roles(Role.admin)
def audit():
    """Admins: what staff did with people's data and with accounts, newest first."""
    filters, errors = audit_log.parse_filters(request.args)
    before = request.args.get("before", type=database_id)
    after = request.args.get("after", type=database_id)
    page = audit_log.page(filters, before=before, after=after)
    args = filters.as_args()
    matches = audit_log.count(filters)
    shown_from = (
        audit_log.position(filters, page.rows[0].id)
        if page.rows and matches <= audit_log.COUNT_LIMIT
        else 1
    )
    actions = sorted(
        ((code, str(name)) for code, (name, _describe) in audit_text.ACTIONS.items()),
        key=lambda item: item[1],
    )
    response = make_response(
        render_template(
            "manage/audit.html",
            page=page,
            filters=filters,
            errors=errors,
            matches=matches,
            position=shown_from,
            count_limit=audit_log.COUNT_LIMIT,
            people=audit_log.people(),
            nobody=audit_log.NOBODY,
            actions=actions,
            action_name=audit_text.action_name,
            actor_name=audit_text.actor_name,
            describe=audit_text.describe,
            person_url=lambda event: url_for(".audit", **{**args, "person": event.actor_id}),
            newer_url=url_for(".audit", **args, after=page.newer) if page.newer else None,
            older_url=url_for(".audit", **args, before=page.older) if page.older else None,
            newest_url=url_for(".audit", **args) if (before or after) else None,
            clear_url=url_for(".audit") if filters.active else None,
            zone=display_timezone(),
        ),
        400 if errors else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
