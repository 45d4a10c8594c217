"""Public pages cached per language and content version, shared by the features that
show what the content holds (the conference page, the sponsors page).
"""

import hashlib

from flask import abort, current_app, make_response, request, session

from conference.content.services import get_content_version
from conference.extensions import cache
from conference.i18n import current_language


def cached_page(name, render, state=""):
    """Return the page ``name`` rendered by ``render()``, cached per language and content.

    The cache key holds the content version, so a content change (in any process) makes
    every process render afresh; ``state`` is whatever else the page shows that changes
    without a new content version (the home page's full tracks). An ETag lets browsers
    revalidate cheaply.
    """
    if "_flashes" in session:  # a one-off message belongs to this visitor only
        return make_response(render())
    version = get_content_version(current_app.config["CONFERENCE_SLUG"])
    if version is None:
        abort(404)
    key = f"page:{name}:{current_language()}:{version}:{state}"
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
