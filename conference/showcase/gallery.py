"""What the public showcase shows: the stories shown publicly today, by track, a page at a
time; one story; the featured ones for the conference page.

Every query goes through ``models.shown_filter``: approved, consented for the public
site, within its end date, confirmed by a guardian where needed. Nothing else is ever
read here, so no page built on these can show a story that may not be shown.
"""

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference import images, richtext
from conference.extensions import db
from conference.i18n import direction
from conference.showcase.models import Story, shown_filter

PAGE_SIZE = 12
FEATURED_MAX = 3


@dataclass(frozen=True)
class GalleryPage:
    stories: list
    total: int
    page: int
    pages: int
    sizes: dict  # image key -> [(width, height), ...]


def _shown(conference, today):
    return (
        sa.select(Story)
        .where(Story.conference_id == conference.id, shown_filter(Story, today))
        .options(so.selectinload(Story.photos), so.joinedload(Story.track))
    )


def photo_sizes(stories):
    """``images.sizes_of`` for the stories' photos (one query)."""
    return images.sizes_of([photo.image_key for story in stories for photo in story.photos])


def gallery_page(conference, today, *, track=None, page=1, size=PAGE_SIZE):
    """One page of the stories shown publicly on ``today``, newest decision first;
    ``track`` (a ``Track``) narrows them."""
    query = _shown(conference, today)
    if track is not None:
        query = query.where(Story.track_id == track.id)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    stories = db.session.scalars(
        query.order_by(Story.featured.desc(), Story.decided_at.desc(), Story.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return GalleryPage(stories, total, page, pages, photo_sizes(stories))


def shown_story(conference, story_id, today):
    """The story ``story_id`` if it is shown publicly on ``today``, else ``None``."""
    return db.session.scalar(_shown(conference, today).where(Story.id == story_id))


def any_shown(conference, today):
    """Whether any story is shown publicly on ``today``."""
    shown = sa.exists().where(Story.conference_id == conference.id, shown_filter(Story, today))
    return bool(db.session.scalar(sa.select(shown)))


def featured(conference, today, limit=FEATURED_MAX):
    """The featured stories shown publicly on ``today`` (for the conference page)."""
    return db.session.scalars(
        _shown(conference, today)
        .where(Story.featured.is_(True))
        .order_by(Story.decided_at.desc(), Story.id.desc())
        .limit(limit)
    ).all()


def card(story, sizes):
    """What a story's card shows: its first photo, an excerpt, its direction."""
    photo = story.photos[0] if story.photos else None
    return {
        "story": story,
        "dir": direction(story.language),
        "excerpt": richtext.excerpt(story.body, 160),
        "image": images.img_tag(
            photo.image_key,
            sizes.get(photo.image_key, []),
            alt=richtext.plain(photo.alt),
            sizes="(min-width: 60rem) 20rem, (min-width: 40rem) 45vw, 100vw",
            largest=800,
        )
        if photo
        else None,
    }
