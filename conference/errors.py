"""Error pages in the visitor's language, for every status the app can answer with.

Error pages never query the database, so they still render when the database is down.
Requests that ask for JSON (``Accept: application/json``) get a JSON body instead.
"""

import logging

from flask import g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from conference.extensions import db, login_manager

log = logging.getLogger("conference.errors")

# status: (title, explanation). Every visitor-facing word goes through the catalogs.
MESSAGES = {
    400: (
        _l("Bad request"),
        _l("We could not understand that request. Check the address or the form and try again."),
    ),
    403: (
        _l("You cannot see this page"),
        _l("Your account does not give you access to this page."),
    ),
    404: (
        _l("Page not found"),
        _l(
            "If you typed the address, check it is correct. "
            "If you followed a link, it may be out of date."
        ),
    ),
    405: (
        _l("Not allowed"),
        _l("This page cannot be used that way. Go back and try again from the page itself."),
    ),
    413: (
        _l("Too much data"),
        _l("What you sent is larger than we accept (%(limit)s). Send less and try again."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have tried this too many times. Wait a few minutes, then try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "There is a problem on our side. Nothing you did caused it. Try again in a few minutes."
        ),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("The site is briefly unavailable. Your information is safe. Try again in a minute."),
    ),
}
CSRF_MESSAGE = _l("This page timed out. Go back, reload the page and submit again.")


def render_error(status, message=None):
    """Return the error page (or JSON) for ``status`` in the visitor's language."""
    title, explanation = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if message is None:
        limit = request.max_content_length or 0
        message = str(explanation) % {"limit": _size(limit)} if status == 413 else explanation
    if request.accept_mimetypes.best == "application/json":
        return {"status": status, "error": str(title), "message": str(message)}, status
    if "_login_user" not in g:
        # Flask-Login's context processor loads a signed-in user for every template: a
        # query, and the database may be what failed. No error page shows who is signed in.
        g._login_user = login_manager.anonymous_user()
    try:
        return render_template(
            "errors/error.html", status=status, title=title, message=message
        ), status
    except Exception:  # the template itself failed: still answer, plainly, in both languages
        log.exception("error page failed to render")
        body = f"{status} — {title} / {message}"
        return body, status, {"Content-Type": "text/plain; charset=utf-8"}


def _size(limit):
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool replaces it (database)
            pass
        log.error("database unavailable: %s", error.__class__.__name__)
        response = make_response(render_error(ServiceUnavailable.code))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unhandled exception", exc_info=original)
        return render_error(500)
