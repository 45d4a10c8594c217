"""What the moderation pages read: the queue (by status and track, oldest waiting first)
and its counts."""

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.extensions import db
from conference.showcase.models import Story, StoryStatus

PAGE_SIZE = 50


@dataclass(frozen=True)
class Queue:
    stories: list
    total: int
    page: int
    pages: int


def counts(conference):
    """``{StoryStatus: number}`` of the conference's stories (every status present)."""
    rows = db.session.execute(
        sa.select(Story.status, sa.func.count())
        .where(Story.conference_id == conference.id)
        .group_by(Story.status)
    )
    found = dict.fromkeys(StoryStatus, 0)
    found.update({status: number for status, number in rows})
    return found


def queue(conference, *, status=None, track=None, page=1, size=PAGE_SIZE):
    """One page of stories, those waiting longest first; ``status`` (a ``StoryStatus``) and
    ``track`` (a ``Track``) narrow it."""
    query = sa.select(Story).where(Story.conference_id == conference.id)
    if status is not None:
        query = query.where(Story.status == status)
    if track is not None:
        query = query.where(Story.track_id == track.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    stories = db.session.scalars(
        query.options(so.joinedload(Story.track))
        .order_by(Story.submitted_at, Story.id)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return Queue(stories, total, page, pages)


def story_of(conference, story_id):
    """The conference's story ``story_id``, or ``None``."""
    if not 1 <= story_id < 2**31:
        return None
    return db.session.scalar(
        sa.select(Story).where(Story.id == story_id, Story.conference_id == conference.id)
    )
