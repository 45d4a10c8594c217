"""What public pages of every feature share: the cached page, and the conference page's
blocks that features above the site add (the showcase's featured stories).

``cached_page`` renders a page once per language, content version, day and state; the
site's pages and the showcase's gallery and story pages use it. The day is the
conference's own date, so a consent that ends at midnight leaves every page by itself,
without anyone changing the content.

``home_block`` lets a feature the site may not import (layers) add a block to the
conference page: the site calls each provider while rendering the page, and the page
stays cached (a provider's content must move the content version when it changes).
"""

import hashlib
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, current_app, make_response, request, session
from markupsafe import Markup

from conference.clock import utcnow
from conference.content.models import Conference
from conference.extensions import cache, db
from conference.i18n import current_language

HOME_BLOCKS = "site_home_blocks"


def version_and_today(slug):
    """The conference's content version and today's date where it takes place (one query),
    or ``(None, None)``."""
    row = db.session.execute(
        sa.select(Conference.content_version, Conference.timezone).filter_by(slug=slug)
    ).first()
    if row is None:
        return None, None
    try:
        zone = ZoneInfo(row.timezone)
    except (ValueError, KeyError):
        zone = UTC
    return row.content_version, utcnow().replace(tzinfo=UTC).astimezone(zone).date()


def cached_page(name, render, state=""):
    """Return the page ``name`` rendered by ``render()``, cached per language and content.

    The cache key holds the content version, so a content change (in any process) makes
    every process render afresh, and the conference's date, so what ends on a date ends
    without a change; ``state`` is whatever else the page shows that changes without a
    new content version (the home page's full tracks, a gallery's filter and page). An
    ETag lets browsers revalidate cheaply.
    """
    if "_flashes" in session:  # a one-off message belongs to this visitor only
        return make_response(render())
    version, today = version_and_today(current_app.config["CONFERENCE_SLUG"])
    if version is None:
        abort(404)
    key = f"page:{name}:{current_language()}:{version}:{today.isoformat()}:{state}"
    etag = hashlib.sha256(key.encode()).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        html = cache.get(key)
        if html is None:
            html = render()
            cache.set(key, html)
        response = make_response(html)
    response.set_etag(etag)
    # Browsers ask again each time (the ETag makes that cheap); a shared cache may answer
    # for a few seconds (the same for every visitor with the same language settings).
    response.cache_control.public = True
    response.cache_control.max_age = 0
    response.cache_control.s_maxage = current_app.config["PUBLIC_PAGE_MAX_AGE"]
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def home_block(app, provider):
    """Add ``provider(conference)`` → HTML (or ``""``) to the conference page, after the
    tracks; providers are called in the order they were added."""
    app.extensions.setdefault(HOME_BLOCKS, []).append(provider)


def home_blocks(conference):
    """The HTML of every block added to the conference page."""
    providers = current_app.extensions.get(HOME_BLOCKS, [])
    return [Markup(html) for provider in providers if (html := provider(conference))]
