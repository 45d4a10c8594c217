"""The sponsor portal: a sponsor's home, the stories consented for sponsors, an impact
page per supported track and a printable bilingual summary.

Open to sponsor accounts, each seeing their own sponsor only (a track they do not
support is a 404), and to organizers and administrators, who preview any sponsor's
portal with ``?sponsor=<id>``. Figures come from ``impact`` (aggregates, with small
groups protected); stories show their text and credit line, never who submitted them.
"""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from markupsafe import Markup

from conference import images, richtext
from conference.access import Role, roles
from conference.content import services as content
from conference.i18n import direction
from conference.showcase.publication import conference_today
from conference.sponsors import disclosure, impact, portal_queries
from conference.web import private

bp = Blueprint("sponsor_portal", __name__, url_prefix="/sponsor")

PORTAL = (Role.sponsor, Role.admin, Role.organizer)
SUMMARY_LANGUAGES = ("en", "ar")


def _previewing():
    return current_user.role is not Role.sponsor


def _sponsor(conference):
    """The sponsor whose portal this is, or ``None``: a sponsor account's own, or for
    organizers the one chosen with ``?sponsor=`` (else the first)."""
    if not _previewing():
        sponsor = portal_queries.sponsor_of(current_user)
        return sponsor if sponsor and sponsor.conference_id == conference.id else None
    sponsors = portal_queries.sponsors(conference)
    chosen = request.args.get("sponsor", type=int)
    if chosen is None:
        return sponsors[0] if sponsors else None
    return next((sponsor for sponsor in sponsors if sponsor.id == chosen), None)


def _portal_or_404():
    conference = content.conference_or_404()
    sponsor = _sponsor(conference)
    if sponsor is None:
        abort(404)
    return conference, sponsor


def _link(sponsor):
    """``url_for`` for the portal's pages, keeping an organizer's choice of sponsor."""
    extra = {"sponsor": sponsor.id} if sponsor is not None and _previewing() else {}

    def link(endpoint, **values):
        return url_for(endpoint, **values, **extra)

    return link


def _page(template, sponsor, **context):
    return private(
        render_template(
            template,
            sponsor=sponsor,
            portal_url=_link(sponsor),
            previewing=_previewing(),
            portal_k=disclosure.threshold(),
            **context,
        )
    )


@bp.route("")
@roles(*PORTAL)
def home():
    """Their sponsor, the tracks they support with the leading figures, the showcase."""
    conference = content.conference_or_404()
    sponsor = _sponsor(conference)
    if sponsor is None:
        return _page("sponsors/portal/unlinked.html", None, conference=conference)
    today = conference_today(conference)
    tracks = [
        impact.track_impact(conference, track, today)
        for track in portal_queries.supported_tracks(sponsor)
    ]
    return _page(
        "sponsors/portal/home.html",
        sponsor,
        conference=conference,
        tracks=tracks,
        overall=impact.overall(conference),
        story_count=len(portal_queries.stories(conference, today)),
        sponsors=portal_queries.sponsors(conference) if _previewing() else [],
    )


@bp.route("/showcase")
@roles(*PORTAL)
def showcase():
    """Every story whose people agreed to its showing to sponsors."""
    conference, sponsor = _portal_or_404()
    today = conference_today(conference)
    tracks = {track.id: track for track in conference.tracks}
    return _page(
        "sponsors/portal/showcase.html",
        sponsor,
        conference=conference,
        stories=portal_queries.stories(conference, today),
        tracks=tracks,
    )


@bp.route("/showcase/<int:story_id>")
@roles(*PORTAL)
def story(story_id):
    conference, sponsor = _portal_or_404()
    shown = portal_queries.story(conference, conference_today(conference), story_id)
    if shown is None:
        abort(404)
    keys = [photo.image_key for photo in shown.photos]
    sizes = images.sizes_of(keys)
    photos = [
        images.img_tag(
            photo.image_key,
            sizes.get(photo.image_key, []),
            alt=photo.alt,
            sizes="(min-width: 60rem) 50rem, 100vw",
            lazy=False,
        )
        for photo in shown.photos
    ]
    return _page(
        "sponsors/portal/story.html",
        sponsor,
        conference=conference,
        story=shown,
        body=richtext.render(shown.body),
        other_body=richtext.render(shown.other_body) if shown.other_body else None,
        photos=[photo for photo in photos if photo],
        direction=direction,
    )


def _track_or_404(sponsor, track_key):
    for track in portal_queries.supported_tracks(sponsor):
        if track.key == track_key or (track_key.isdigit() and track.id == int(track_key)):
            return track
    abort(404)


@bp.route("/impact/<track_key>")
@roles(*PORTAL)
def track(track_key):
    """A supported track's figures: charts, each with its table."""
    conference, sponsor = _portal_or_404()
    chosen = _track_or_404(sponsor, track_key)
    figures = impact.track_impact(conference, chosen, conference_today(conference))
    return _page("sponsors/portal/impact.html", sponsor, conference=conference, impact=figures)


@bp.route("/summary")
@roles(*PORTAL)
def summary():
    """One printable page in both languages: the supported tracks' leading figures."""
    conference, sponsor = _portal_or_404()
    today = conference_today(conference)
    tracks = [
        impact.track_impact(conference, track, today)
        for track in portal_queries.supported_tracks(sponsor)
    ]
    overall = impact.overall(conference)
    story_count = len(portal_queries.stories(conference, today))
    halves = []
    for language in SUMMARY_LANGUAGES:
        with force_locale(language):
            halves.append(
                Markup(
                    render_template(
                        "sponsors/portal/_summary_half.html",
                        language=language,
                        direction=direction(language),
                        conference=conference,
                        sponsor=sponsor,
                        tracks=tracks,
                        overall=overall,
                        story_count=story_count,
                        today=today,
                        portal_k=disclosure.threshold(),
                    )
                )
            )
    return _page("sponsors/portal/summary.html", sponsor, conference=conference, halves=halves)
