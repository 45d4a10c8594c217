"""The public calendar files: the whole programme, one track, one session.

Each file is in the language named by ``?lang=``, else the visitor's. The links on the
page carry ``lang`` because a calendar server that subscribes to a feed sends no
language of its own. Files are revalidated by an ETag made from the content version,
like the pages, and may be kept for a few minutes by browsers and proxies.
"""

import hashlib
import re

from flask import Blueprint, abort, current_app, make_response, redirect, request, url_for
from flask_babel import force_locale

from conference.access import public
from conference.calendar import links, services
from conference.config import LANGUAGES
from conference.content import services as content
from conference.i18n import current_language

bp = Blueprint("calendar", __name__)

MAX_AGE = 300
SERVICES = {"google": links.google_calendar_url, "outlook": links.outlook_calendar_url}


@bp.route("/calendar.ics")
@public
def programme():
    """The whole programme as an .ics file: the conference days and every session."""
    return _calendar_file(
        "", lambda conference: services.programme_feed(conference, page_url=_page_url())
    )


@bp.route("/calendar/<track_key>.ics")
@public
def track(track_key):
    """One track as an .ics file, with the conference days and the sessions for everyone."""

    def build(conference):
        track = services.find_track(conference, track_key)
        if track is None:
            abort(404)
        return services.track_feed(conference, track, page_url=_page_url())

    return _calendar_file(track_key, build)


@bp.route("/calendar/sessions/<session_key>.ics")
@public
def session(session_key):
    """One programme session as an .ics file."""

    def build(conference):
        found = services.find_session(conference, session_key)
        if found is None:
            abort(404)
        return services.session_feed(conference, found, page_url=_page_url())

    return _calendar_file(session_key, build)


@bp.route("/calendar/add/<service>")
@bp.route("/calendar/sessions/<session_key>/add/<service>")
@public
def add(service, session_key=None):
    """Send the visitor on to Google Calendar or Outlook with the event filled in.

    The page links here rather than to those sites: it stays light (the long, encoded
    event texts are built only on click) and every link on it stays on this site.
    """
    build = SERVICES.get(service)
    conference = content.current_conference()
    if build is None or conference is None:
        abort(404)
    with force_locale(_language()):
        if session_key is None:
            event = services.conference_event(conference, page_url=_page_url())
        else:
            found = services.find_session(conference, session_key)
            if found is None:
                abort(404)
            event = services.session_event(conference, found, page_url=_page_url())
    response = redirect(build(event), code=302)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


def page_links(conference, session=None):
    """Return the 'add to calendar' links of the conference, or of one of its sessions."""
    language = current_language()
    if session is None:
        file_url = url_for("calendar.programme", lang=language)
        keys = {}
    else:
        file_url = url_for("calendar.session", session_key=session.key, lang=language)
        keys = {"session_key": session.key}
    return services.CalendarLinks(
        file=file_url,
        google=url_for("calendar.add", service="google", lang=language, **keys),
        outlook=url_for("calendar.add", service="outlook", lang=language, **keys),
    )


def _calendar_file(name, build):
    """Answer with the .ics ``build(conference)`` returns, as ``<slug>-<name>.ics``, or 304."""
    slug = current_app.config["CONFERENCE_SLUG"]
    version = content.get_content_version(slug)
    if version is None:
        abort(404)
    language = _language()
    key = f"{request.path}:{language}:{version}"
    etag = hashlib.sha256(key.encode()).hexdigest()[:20]
    if request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        with force_locale(language):
            body = build(content.get_conference(slug))
        response = make_response(body)
        response.content_type = "text/calendar; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{_filename(slug, name)}"'
    # Weak: the bytes differ between renders (DTSTAMP is the time of the render).
    response.set_etag(etag, weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE  # Vary: i18n.vary_on_language, if it used one
    return response


def _language():
    chosen = request.args.get("lang")
    return chosen if chosen in LANGUAGES else current_language()


def _page_url():
    return current_app.config["BASE_URL"] + url_for("site.home")


def _filename(*parts):
    stem = "-".join(re.sub(r"[^A-Za-z0-9_-]+", "-", part).strip("-") for part in parts if part)
    return f"{stem or 'calendar'}.ics"
