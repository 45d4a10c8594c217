"""The public showcase: the gallery of stories (by track, a page at a time) and each
story's page, with sharing cards and structured data.

Both are cached like the conference page (``site.pages.cached_page``): keyed by the
content version, which every moderation and consent change moves, and by the
conference's date, so a story whose consent ends leaves them at midnight by itself. A
story that is not shown (never approved, withdrawn, past its end date, or no story at
all) answers the same neutral 404 page: nothing tells which.
"""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from conference import images, richtext
from conference.access import public
from conference.content import services as content
from conference.i18n import current_language, direction
from conference.showcase import gallery
from conference.site import pages

bp = Blueprint("showcase_gallery", __name__)

MAX_PAGE = 1000
LINK_SCHEMES = ("http://", "https://")


def _today():
    _version, today = pages.version_and_today(current_app.config["CONFERENCE_SLUG"])
    if today is None:
        abort(404)
    return today


@bp.route("/stories")
@public
def index():
    """The gallery: cards of the stories shown, filtered by track with plain links."""
    conference = content.conference_or_404()
    tracks = {track.key: track for track in conference.tracks}
    track_key = request.args.get("track", "")
    if track_key and track_key not in tracks:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)

    def render():
        result = gallery.gallery_page(conference, _today(), track=tracks.get(track_key), page=page)
        return render_template(
            "showcase/gallery.html",
            conference=conference,
            result=result,
            track=tracks.get(track_key),
            cards=[gallery.card(story, result.sizes) for story in result.stories],
            page_url=lambda number: url_for(
                ".index", track=track_key or None, page=number if number > 1 else None
            ),
            submit_url=_submit_url(),
        )

    return pages.cached_page("stories", render, state=f"{track_key}:{page}")


@bp.route("/stories/<int:story_id>")
@public
def story(story_id):
    """One story: each text with its own language and direction, both side by side."""
    conference = content.conference_or_404()
    if not 1 <= story_id < 2**31:
        return _gone(conference)
    today = _today()
    shown = gallery.shown_story(conference, story_id, today)
    if shown is None:
        return _gone(conference)

    def render():
        sizes = gallery.photo_sizes([shown])
        return render_template(
            "showcase/story.html",
            conference=conference,
            story=shown,
            texts=_texts(shown),
            photos=[_photo(photo, sizes) for photo in shown.photos],
            links=_links(shown.links),
            share=_share(shown, sizes),
        )

    return pages.cached_page(f"story:{story_id}", render)


def _gone(conference):
    return render_template("showcase/gone.html", conference=conference), 404


SUBMIT_PATH = "/stories/submit"


def _submit_url():
    """The public submission form's address, once that page exists (its own module)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == SUBMIT_PATH and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint)
    return None


def _texts(story):
    """The story's texts, the one in the reader's language first (side by side)."""
    texts = [(story.language, story.title, story.body)]
    if story.other_body:
        texts.append((story.other_language, story.other_title or story.title, story.other_body))
    language = current_language()
    texts.sort(key=lambda item: item[0] != language)
    return [
        {"lang": lang, "dir": direction(lang), "title": title, "html": richtext.render(body)}
        for lang, title, body in texts
    ]


def _photo(photo, sizes):
    return images.img_tag(
        photo.image_key,
        sizes.get(photo.image_key, []),
        alt=richtext.plain(photo.alt),
        sizes="(min-width: 50rem) 48rem, 100vw",
        lazy=False,
    )


def _links(values):
    """The story's links (http and https only), as ``(url, label)``."""
    found = []
    for value in values or ():
        url = value.get("url") if isinstance(value, dict) else value
        label = value.get("label") if isinstance(value, dict) else None
        if isinstance(url, str) and url.lower().startswith(LINK_SCHEMES) and len(url) <= 500:
            found.append((url, richtext.plain(label or url)[:200] or url))
    return found


def _share(story, sizes):
    """The Open Graph card and the schema.org ``Article`` of the story."""
    base = current_app.config["BASE_URL"]
    url = base + url_for(".story", story_id=story.id)
    description = richtext.excerpt(story.body, 200)
    image = None
    if story.photos:
        photo = story.photos[0]
        known = sizes.get(photo.image_key) or []
        if known:
            width, height = known[-1]
            image = {
                "url": base + images.media_url(photo.image_key, width),
                "width": width,
                "height": height,
                "alt": richtext.plain(photo.alt),
            }
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": richtext.plain(story.title),
        "description": description,
        "inLanguage": story.language,
        "url": url,
        "publisher": {"@type": "Organization", "name": _("For Syria")},
    }
    if story.decided_at:
        data["datePublished"] = story.decided_at.date().isoformat()
    if story.credit_line:
        data["about"] = {"@type": "Person", "name": richtext.plain(story.credit_line)}
    if image:
        data["image"] = image["url"]
    if story.track:
        data["articleSection"] = story.track.key
    return {"url": url, "description": description, "image": image, "data": data}
