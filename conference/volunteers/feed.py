"""The volunteer's personal calendar feed: a page at their private link to make, replace
or stop a calendar link, and the feed itself.

The feed's address holds its own token (``Volunteer.feed_token_hash``: only the hash is
stored), not the private link's: a calendar app that leaks it shows someone's shifts,
but cannot change them. Replacing it stops the old one; stopping it answers 404. The new
link is shown once, on the page that answers the request that made it (never stored,
never put in the session). Pages at a private link are never stored and send no
Referer; the feed's answer is ``private, no-store`` too.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from conference.access import public
from conference.fields import ConfirmForm
from conference.urls import external_url
from conference.volunteers import invitations, services

bp = Blueprint("volunteer_feed", __name__)


@bp.after_request
def keep_private(response):
    response.cache_control.no_store = True
    response.cache_control.private = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _volunteer_or_404(token):
    volunteer = services.find_by_token(token)
    if volunteer is None or not _on_this_site(volunteer):
        abort(404)
    return volunteer


def _on_this_site(volunteer):
    return volunteer.conference.slug == current_app.config["CONFERENCE_SLUG"]


def _page(volunteer, token, *, feed_url=None, status=200):
    return (
        render_template(
            "volunteers/feed.html",
            volunteer=volunteer,
            token=token,
            feed_url=feed_url,
            webcal_url=feed_url and "webcal://" + feed_url.split("://", 1)[1],
            has_feed=volunteer.feed_token_hash is not None,
            form=ConfirmForm(),
            manage_endpoint="volunteer.manage" in current_app.view_functions,
        ),
        status,
    )


@bp.route("/volunteer/<secret:token>/calendar")
@public
def manage(token):
    """The calendar link page: how to follow one's shifts in a phone's calendar."""
    return _page(_volunteer_or_404(token), token)


@bp.route("/volunteer/<secret:token>/calendar/new", methods=["POST"])
@public
def create(token):
    """Make a calendar link (replacing any older one) and show it, once."""
    volunteer = _volunteer_or_404(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    feed_token = services.new_feed_token(volunteer)
    return _page(
        volunteer, token, feed_url=external_url("volunteer_feed.ics", feed_token=feed_token)
    )


@bp.route("/volunteer/<secret:token>/calendar/stop", methods=["POST"])
@public
def stop(token):
    """Stop the calendar link: calendars that follow it get nothing more."""
    volunteer = _volunteer_or_404(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.revoke_feed(volunteer)
    flash(_("Your calendar link is stopped. Calendars that followed it get no more updates."))
    return redirect(url_for(".manage", token=token), code=303)


@bp.route("/volunteer/calendar/<secret:feed_token>.ics")
@public
def ics(feed_token):
    """The feed: the owner's current shifts (METHOD:PUBLISH), nobody else's."""
    volunteer = services.find_by_feed_token(feed_token)
    if volunteer is None or not _on_this_site(volunteer):
        abort(404)
    response = make_response(invitations.personal_feed(volunteer))
    response.content_type = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="my-shifts.ics"'
    return response
