"""The public sponsors page (by tier, cached like the conference page) and sponsors' SVG
logos, served made safe under a policy that allows no script and no fetch."""

from flask import Blueprint, abort, make_response, render_template
from markupsafe import Markup

from conference import images
from conference.access import public
from conference.content import services as content
from conference.content.models import Sponsor
from conference.extensions import db
from conference.site import services as site
from conference.site.pages import cached_page
from conference.sponsors import logos

bp = Blueprint("sponsors", __name__)

YEAR = 365 * 24 * 3600
SVG_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox"
)


@bp.route("/sponsors")
@public
def index():
    """Every sponsor by tier: logo, name and link, description, the tracks they support."""

    def render():
        conference = content.conference_or_404()
        return render_template(
            "sponsors/index.html",
            conference=conference,
            groups=site.sponsors_by_tier(conference),
        )

    return cached_page("sponsors", render)


@bp.route("/sponsors/<int:sponsor_id>/logo.svg")
@public
def logo_svg(sponsor_id):
    """A sponsor's SVG logo as made safe on upload. Its URL carries a hash of the logo
    (``?v=``), so browsers and proxies may keep it for a year: a new logo is a new URL."""
    conference = content.conference_or_404()
    sponsor = db.session.get(Sponsor, sponsor_id)
    if sponsor is None or sponsor.conference_id != conference.id or not sponsor.logo_svg:
        abort(404)
    response = make_response(sponsor.logo_svg.encode())
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SVG_POLICY
    response.set_etag(logos.svg_version(sponsor))
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response


@bp.app_template_global()
def sponsor_logo_sizes(groups):
    """The sizes of the raster logos of the sponsors in ``groups`` (one query)."""
    keys = [s.logo_key for group in groups for s in group.sponsors if s.logo_key]
    return images.sizes_of(keys)


@bp.app_template_global()
def sponsor_logo(sponsor, sizes, alt=""):
    """``sponsor``'s logo as an ``<img>``, or nothing."""
    return logos.logo_tag(sponsor, sizes, alt=alt) or Markup("")
