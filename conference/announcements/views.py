"""The public page the announcements link to: unsubscribe (and undo it).

Not under /manage: the blueprint is named ``subscription``, so that ``announcements`` is
the organizers' side (``staff_views``).
"""

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from conference.access import public
from conference.announcements import services
from conference.announcements.unsubscribe import find_by_unsubscribe_token
from conference.extensions import csrf
from conference.i18n import current_language

bp = Blueprint("subscription", __name__)


@bp.after_request
def keep_link_private(response):
    """The token is the key: the page is not stored, indexed or sent on in a Referer."""
    response.cache_control.no_store = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# Mail clients POST here themselves for one-click unsubscribing (RFC 8058), with no
# session and no CSRF token: the signed token in the address is the only credential,
# and all it can do is stop announcements.
@bp.route("/unsubscribe/<secret:token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token):
    """GET: a page with an unsubscribe button. POST (that button, or the mail client):
    no more announcements."""
    registration = find_by_unsubscribe_token(token) or abort(404)
    if request.method == "POST":
        services.set_announcements(registration, wanted=False)
    return _unsubscribe_page(token, registration)


@bp.post("/unsubscribe/<secret:token>/undo")
@public
def resubscribe(token):
    """Receive announcements again, after unsubscribing by mistake."""
    registration = find_by_unsubscribe_token(token) or abort(404)
    services.set_announcements(registration, wanted=True)
    return _unsubscribe_page(token, registration, resubscribed=True)


def _unsubscribe_page(token, registration, resubscribed=False):
    """The page in the visitor's language, then the same words in the other one."""
    state = "out" if registration.announcements_opt_out else "in"
    if resubscribed:
        state = "back"
    other = "en" if current_language() == "ar" else "ar"
    with force_locale(other):
        in_other = _unsubscribe_texts(state)
    return render_template(
        "announcements/unsubscribe.html",
        token=token,
        state=state,
        texts=_unsubscribe_texts(state),
        other=other,
        in_other=in_other,
    )


def _unsubscribe_texts(state):
    texts = {
        "in": {
            "title": _("Unsubscribe from announcements"),
            "text": _(
                "The For Syria organizers sometimes email everyone who registered with "
                "news about the conference. You can stop these announcements. Messages "
                "about your own registration still come."
            ),
        },
        "out": {
            "title": _("You are unsubscribed"),
            "text": _(
                "You will not receive announcements from the For Syria organizers any more. "
                "Messages about your own registration still come."
            ),
        },
        "back": {
            "title": _("You are subscribed again"),
            "text": _("You will receive announcements from the For Syria organizers again."),
        },
    }[state]
    texts["unsubscribe"] = _("Unsubscribe")
    texts["resubscribe"] = _("Receive announcements again")
    return texts
