"""Who may use which page: every view declares it, and anything undeclared is refused.

``@public`` marks pages for everyone; ``@roles(Role.organizer, ...)`` marks staff pages.
A view with neither is answered 403 whoever asks (deny by default). Anonymous visitors
to a staff page are sent to sign in; signed-in staff without the role get 403.
"""

import enum

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user


class Role(enum.Enum):
    admin = "admin"
    organizer = "organizer"
    coordinator = "coordinator"  # volunteer coordinator
    checkin = "checkin"  # check-in staff
    sponsor = "sponsor"


# Roles that can see and export attendees' personal data.
PERSONAL_DATA = frozenset({Role.admin, Role.organizer})
# Roles that see attendees' names (check-in staff at the desk): with TWO_FACTOR_REQUIRED
# they must sign in with two factors. Coordinators and sponsors see aggregates only.
SEES_NAMES = PERSONAL_DATA | {Role.checkin}
STAFF = frozenset(Role)
PUBLIC = "public"
# The session's key for the page an anonymous visitor asked for, shown once signed in.
AFTER_SIGN_IN = "after_sign_in"


def public(view):
    """Mark ``view`` as open to everyone, signed in or not."""
    view.access = PUBLIC
    return view


def roles(*allowed):
    """Mark a view as open to signed-in staff with one of the ``allowed`` roles."""

    def decorate(view):
        view.access = frozenset(allowed)
        return view

    return decorate


def access_of(view):
    """Return what a view declared: ``PUBLIC``, a set of roles, or ``None`` (undeclared)."""
    return getattr(view, "access", None)


def may_open(endpoint):
    """Whether the signed-in user may open ``endpoint`` (and the page exists): for links
    and menus, which show only what the user can follow."""
    view = current_app.view_functions.get(endpoint)
    allowed = access_of(view) if view is not None else None
    if allowed == PUBLIC:
        return True
    return bool(allowed) and current_user.is_authenticated and current_user.role in allowed


def init_app(app):
    @app.before_request
    def enforce_access():
        # Flask-Login keeps the user on ``g``, which an app context shared by several
        # requests (CLI, tests) would carry from one request into the next.
        g.pop("_login_user", None)
        if request.endpoint is None or request.endpoint == "static":
            return None  # routing answers (404, 405) and static files
        view = current_app.view_functions[request.endpoint]
        access = access_of(view)
        if access == PUBLIC:
            return None
        if access is None:
            abort(403)  # deny by default: this view declared nobody
        if not current_user.is_authenticated:
            if request.method == "GET":
                # Kept in the session, not in ``?next=``: the page may be a check-in
                # code's, and a URL's query string is logged whole by whoever logs it.
                session[AFTER_SIGN_IN] = request.full_path.rstrip("?")
                return redirect(url_for("accounts.login"))
            abort(401)
        if current_user.role not in access:
            abort(403)
        if needs_second_factor(current_user) and request.endpoint not in SECOND_FACTOR_SETUP:
            return redirect(url_for("accounts.two_factor"))
        return None


# Pages a user who must set up two factors can still reach.
SECOND_FACTOR_SETUP = {"accounts.two_factor", "accounts.logout"}


def needs_second_factor(user):
    """Whether ``user`` must enrol an authenticator before using staff pages."""
    return (
        current_app.config["TWO_FACTOR_REQUIRED"]
        and user.role in SEES_NAMES
        and not user.totp_enabled
    )
