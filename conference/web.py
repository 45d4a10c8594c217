"""Small helpers for views and templates of every feature."""

from flask import make_response
from markupsafe import Markup, escape

# A status pill's mark by its kind: the kind is said by a sign and in words, not colour.
PILL_MARKS = {"ok": "✓", "waiting": "○", "cancelled": "✕", "warning": "!", "danger": "✕"}


def status_pill(kind, label):
    """A status pill (``_macros/lists.html``): "ok", "waiting", "cancelled", "warning",
    "danger", anything else "neutral". Python rather than a Jinja macro: long lists show
    one or more a row, and a macro call costs more than the rest of the cell."""
    mark = PILL_MARKS.get(kind)
    if mark is None:
        kind, mark = "neutral", "•"
    return Markup(
        f'<span class="pill pill--{kind}"><span class="pill__mark" aria-hidden="true">'
        f"{mark}</span>{escape(label)}</span>"
    )


def address(value):
    """An email address that wraps after its "@" and dots rather than mid-word."""
    local, at, domain = str(escape(value)).partition("@")
    if at:
        local += "<wbr>@" + "<wbr>.".join(domain.split("."))
    return Markup(f'<bdi dir="ltr" class="address">{local}</bdi>')


def init_app(app):
    app.jinja_env.globals.update(status_pill=status_pill, email_address=address)


def private(body, status=200):
    """A response that no browser or proxy stores: pages with people's details on them,
    so a shared phone's Back button shows fresh state and nothing lingers in a cache."""
    response = make_response(body, status)
    response.cache_control.no_store = True
    return response
