"""Check-in at the entrance, on a phone: find a person (QR code or search), tap once.

Staff see only what they need: the name, the registration number and a masked address
(and, for look-alike names, the city) to tell namesakes apart, the confirmed tracks and
the check-in state. The outcome of a tap (first, duplicate, refused,
undone) is kept in the session for the page the POST redirects to (POST, redirect, GET).
"""

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session
from flask_babel import format_number
from flask_login import current_user
from markupsafe import Markup

from conference.access import Role, roles
from conference.checkin import queries, services
from conference.content import services as content
from conference.i18n import format_local_time, translate
from conference.urls import safe_next
from conference.web import private

bp = Blueprint("checkin", __name__, url_prefix="/manage")

CHECKIN_ROLES = (Role.admin, Role.organizer, Role.checkin)
RESULT = "checkin.result"
# The states whose code lets no one in: the code's page says "not valid", in red.
NOT_VALID = (services.State.cancelled.value, services.State.waitlisted.value)
# The site's policy (``conference.security``) with the camera allowed to this origin.
CAMERA_PERMISSIONS = "camera=(self), microphone=(), geolocation=(), interest-cohort=()"


@bp.route("/checkin", methods=["GET", "POST"])
@roles(*CHECKIN_ROLES)
def desk():
    """Search by name or code; one button per person; arrivals per track.

    The search is a POST (CSRF-protected) answered with the results: what staff type,
    often a check-in code, travels in the body, which no server or proxy logs, never in
    the request line, which each of them logs in full. A ``q`` in a query string is
    ignored, so no link or bookmark of the desk can carry a code.
    """
    conference = content.conference_or_404()
    query = ""
    if request.method == "POST":
        query = " ".join(request.form.get("q", "").split())[:100]
    counts = _counts_context(conference)  # loads the tracks the people below refer to
    found, more = services.search(conference, query, actor=current_user)
    people = [_person(conference, registration) for registration in found]
    alike = services.look_alikes(found)
    for person in people:
        person["alike"] = person["id"] in alike
    response = private(
        render_template(
            "checkin/desk.html",
            conference=conference,
            query=query,
            people=people,
            any_alike=bool(alike),
            more=more,
            result=_pop_result(conference),
            **counts,
        )
    )
    # The scan button's camera, for this page only (every other page refuses it).
    response.headers["Permissions-Policy"] = CAMERA_PERMISSIONS
    return response


@bp.route("/checkin/c/<secret:code>")
@roles(*CHECKIN_ROLES)
def code(code):
    """The page a confirmation's QR code opens: one person, one button."""
    conference = content.conference_or_404()
    registration = queries.find_by_checkin_code(code)
    if registration is None or registration.conference_id != conference.id:
        return private(
            render_template(
                "checkin/code.html", conference=conference, person=None, invalid="unknown"
            ),
            404,
        )
    result = _pop_result(conference, only=registration.id)
    person = _person(conference, registration)
    if person["state"] in NOT_VALID:
        # A code that lets no one in: the red state, and a 404 (no valid ticket here).
        return private(
            render_template(
                "checkin/code.html", conference=conference, person=person, invalid=person["state"]
            ),
            404,
        )
    return private(
        render_template(
            "checkin/code.html", conference=conference, person=person, result=result, invalid=None
        )
    )


@bp.post("/checkin/<int:registration_id>")
@roles(*CHECKIN_ROLES)
def mark(registration_id):
    """Check someone in; a second tap is reported as a duplicate."""
    conference = content.conference_or_404()
    registration = queries.find_registration(conference, registration_id) or abort(404)
    try:
        outcome = services.check_in(registration, by=current_user)
    except services.CheckInError:
        kind = "refused"
    else:
        kind = "first" if outcome.first else "duplicate"
    session[RESULT] = {"id": registration.id, "kind": kind}
    return redirect(safe_next(request.form.get("back"), default="checkin.desk"))


@bp.post("/checkin/<int:registration_id>/undo")
@roles(*CHECKIN_ROLES)
def undo(registration_id):
    """Take back a mistaken check-in."""
    conference = content.conference_or_404()
    registration = queries.find_registration(conference, registration_id) or abort(404)
    undone = services.undo_check_in(registration, by=current_user)
    session[RESULT] = {"id": registration.id, "kind": "undone" if undone else "not_checked_in"}
    return redirect(safe_next(request.form.get("back"), default="checkin.desk"))


@bp.route("/checkin/counts")
@roles(*CHECKIN_ROLES)
def counts():
    """Arrivals per track as JSON, for the page's optional refresher (static/js/checkin.js)."""
    conference = content.conference_or_404()
    counts = queries.checkin_counts(conference)
    response = jsonify(
        tracks=[
            {
                "id": track.track_id,
                "checked_in": format_number(track.checked_in),
                "confirmed": format_number(track.confirmed),
            }
            for track in counts.tracks
        ],
        checked_in=format_number(counts.people_checked_in),
        confirmed=format_number(counts.people_expected),
    )
    response.cache_control.no_store = True
    return response


# ---------------------------------------------------------------------------------------


def _counts_context(conference):
    counts = queries.checkin_counts(conference)
    names = {track.id: translate(track.name) for track in conference.tracks}
    return {
        "counts": counts,
        "count_rows": [(names[row.track_id], row) for row in counts.tracks],
    }


def _person(conference, registration):
    """What check-in staff see of one registration, and nothing more."""
    state = services.state_of(registration)
    person = {
        "id": registration.id,
        "name": registration.full_name,
        "email": queries.masked_email(registration.email),
        "city": registration.city,
        "tracks": [translate(place.track.name) for place in registration.confirmed_places],
        "waiting": [translate(place.track.name) for place in registration.waitlisted_places],
        "state": state.value,
        "refusal": services.refusal(state),
        "at": None,
        "by": None,
    }
    if registration.checked_in_at is not None:
        # Isolated (<bdi>), as they go into sentences in either direction.
        person["at"] = _isolated(format_local_time(registration.checked_in_at, conference.timezone))
        by = queries.checked_in_by(registration)
        person["by"] = _isolated(by) if by else None
    return person


def _isolated(text):
    return Markup("<bdi>{}</bdi>").format(text)


def _pop_result(conference, only=None):
    """The outcome of the last tap, for the page it redirected to (once)."""
    result = session.get(RESULT)
    if not isinstance(result, dict) or (only is not None and result.get("id") != only):
        return None
    session.pop(RESULT)
    registration = queries.find_registration(conference, result.get("id"))
    if registration is None:
        return None
    return {"kind": result.get("kind"), "person": _person(conference, registration)}
