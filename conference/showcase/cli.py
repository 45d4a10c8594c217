"""``flask showcase refresh``: run daily (after midnight where the conference takes
place), it stops serving the photos of stories whose consent has ended and serves those
of stories shown again. Pages need no such run: they are keyed by the conference's date.
"""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from conference.content import services as content
from conference.extensions import db
from conference.images import StoredImage
from conference.showcase import publication
from conference.showcase.models import Story

showcase = AppGroup("showcase", help="Success stories.")


def refresh_all(conference, today=None):
    """Make every story's photos served exactly while it is shown; return how many
    stories changed (no commit)."""
    today = today or publication.conference_today(conference)
    changed = 0
    stories = db.session.scalars(
        sa.select(Story).where(Story.conference_id == conference.id, Story.photos.any())
    ).all()
    for story in stories:
        shown = story.shown_publicly(today) or story.shown_to_sponsors(today)
        keys = [photo.image_key for photo in story.photos]
        visible = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StoredImage)
            .where(StoredImage.key.in_(keys), StoredImage.visible.is_(shown))
        )
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(StoredImage).where(StoredImage.key.in_(keys))
        )
        if visible != total:
            publication.refresh(story, today=today)
            changed += 1
    return changed


@showcase.command("refresh")
def refresh_command():
    """Serve stories' photos only while the stories are shown (run daily)."""
    conference = content.current_conference()
    if conference is None:
        raise click.ClickException("no conference is loaded")
    changed = refresh_all(conference)
    db.session.commit()
    click.echo(f"{changed} stories' photos changed")
