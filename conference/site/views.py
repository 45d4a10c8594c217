"""Public pages. Views load, call a service and render; rules live in services."""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from conference import applog, database, urls
from conference.access import public
from conference.config import LANGUAGES
from conference.content import services as content
from conference.site import pages, services
from conference.urls import safe_next

bp = Blueprint("site", __name__)


@bp.route("/")
@public
def home():
    """The conference page: what, when, where, the tracks, the programme, sponsors."""

    def render():
        conference = content.conference_or_404()
        return render_template(
            "site/home.html",
            conference=conference,
            programme=services.programme_by_day(conference),
            is_sample=services.has_sample_sessions(conference),
            sponsor_tiers=services.sponsors_by_tier(conference),
            blocks=pages.home_blocks(conference),
        )

    full = services.seat_state(current_app.config["CONFERENCE_SLUG"])
    return pages.cached_page("home", render, state=",".join(full))


@bp.route("/language/<code>")
@public
def set_language(code):
    """Switch the site language and remember the choice; return to the page the visitor was on."""
    if code not in LANGUAGES:
        abort(404)
    return _remember_language(redirect(safe_next(request.args.get("next")), code=303), code)


# A page whose path holds a secret (a private link, an invitation, a check-in code) must
# not give it to ``/language/<code>?next=…``: a secret in a query string is written in
# full by any log that does not know that parameter (the proxy's, for one). Its switch
# leads to the page itself, ``?lang=<code>``; the secret stays in the path, where every
# log redacts it (``applog``), and this hook sets the language and drops the query.
SWITCH = "lang"


@bp.app_template_global()
def language_switch_url(code):
    """The link of the language switch to ``code`` on the current page."""
    here = request.script_root + request.path
    if urls.holds_secret(request.url_rule):
        return f"{here}?{urlencode({SWITCH: code})}"
    if applog.redact(request.path) != request.path:
        return url_for("site.set_language", code=code)  # a 404 under a private link
    return url_for("site.set_language", code=code, next=request.path)


@bp.before_app_request
def switch_language_in_place():
    """``GET <secret page>?lang=ar``: remember Arabic, then show the page without a query."""
    code = request.args.get(SWITCH)
    if request.method != "GET" or code not in LANGUAGES:
        return None
    if not urls.holds_secret(request.url_rule):
        return None  # other pages' ``lang`` is theirs (the calendar's, say)
    response = redirect(request.script_root + request.path, code=303)
    response.cache_control.no_store = True
    response.headers["Referrer-Policy"] = "no-referrer"
    return _remember_language(response, code)


def _remember_language(response, code):
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        code,
        max_age=current_app.config["LANGUAGE_COOKIE_MAX_AGE"],
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/healthz")
@public
def healthz():
    """Health check for the proxy and the process manager: can the app take a registration?

    Healthy means the database commits a write (``database.can_write``), not just that it
    answers: 503 otherwise.
    """
    healthy = database.can_write()
    body = {"status": "ok" if healthy else "unavailable", "database": healthy}
    response = make_response(body, 200 if healthy else 503)
    response.cache_control.no_store = True
    return response


@bp.route("/favicon.ico")
@public
def favicon():
    return send_from_directory(current_app.static_folder, "img/favicon.ico", max_age=86400)


@bp.route("/robots.txt")
@public
def robots():
    sitemap_url = current_app.config["BASE_URL"] + url_for("site.sitemap")
    body = f"User-agent: *\nDisallow: /manage/\nDisallow: /registration/\nSitemap: {sitemap_url}\n"
    return body, 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/sitemap.xml")
@public
def sitemap():
    base = current_app.config["BASE_URL"]
    pages = [
        url_for(endpoint)
        for endpoint in (
            "site.home",
            "registration.register",
            "volunteers.signup",
            "sponsors.index",
            "showcase_gallery.index",  # the showcase's, when installed
        )
        if endpoint in current_app.view_functions
    ]
    urls = "".join(f"<url><loc>{base}{path}</loc></url>" for path in pages)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )
    return body, 200, {"Content-Type": "application/xml; charset=utf-8"}
