"""The labelled sample stories of the sample programme (``[[sample_stories]]``).

Loaded with ``flask content sample`` (``make run`` does it) so the showcase has
something to show, and removed with the rest of the sample. They are approved and
consented for the public site and sponsor reports, marked ``is_sample`` (pages label
them), and each gets a generated picture: a gradient in its track's colours, re-encoded
like any upload. Loading replaces them all; their ids change, nothing else refers to them.
"""

import io

import sqlalchemy as sa
from PIL import Image, ImageDraw

from conference import images, richtext, text
from conference.clock import utcnow
from conference.content.parsing import ContentError
from conference.content.services import touch_content_version
from conference.extensions import db
from conference.showcase import consent
from conference.showcase.models import ConsentEvent, Credit, Story, StoryPhoto, StoryStatus

COLOURS = {
    "cultural": ((0, 122, 61), (241, 196, 15)),
    "social": ((20, 90, 160), (120, 200, 220)),
    "arts": ((150, 40, 60), (240, 140, 90)),
}
SIZE = (800, 533)
SAMPLE_SUBMITTER = "sample@example.org"


def load_section(conference, data, report, *, is_sample):
    """Replace the sample stories with those of the sample file (none when removing)."""
    if not is_sample:
        return
    items = data.get("sample_stories", [])
    if not isinstance(items, list):
        raise ContentError("sample_stories: expected an array of tables")
    existing = db.session.scalars(
        sa.select(Story)
        .where(Story.conference_id == conference.id, Story.is_sample.is_(True))
        .order_by(Story.id)
    ).all()
    tracks = {track.key: track for track in conference.tracks}
    if [_fingerprint(story) for story in existing] == [
        _item_fingerprint(item, tracks) for item in items
    ]:
        return  # loaded already: nothing changes, not even the ids
    for story in existing:
        images.delete([photo.image_key for photo in story.photos])
        db.session.delete(story)
        report.removed.append(f"sample story {story.id}")
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ContentError(f"sample_stories[{n}]: expected a table")
        story = _story(conference, tracks, item, n)
        db.session.add(story)
        report.created.append(f"sample story {n}")
    touch_content_version(conference)  # the files' hash does not cover stories


def _fingerprint(story):
    return (
        story.track.key if story.track else None,
        story.language,
        story.title,
        story.body,
        story.other_title,
        story.other_body,
        story.person_name,
        story.credit.value,
        [photo.alt for photo in story.photos],
    )


def _item_fingerprint(item, tracks):
    if not isinstance(item, dict):
        return None
    return (
        item.get("track") if item.get("track") in tracks else None,
        item.get("language"),
        text.clean_text(item.get("title")),
        richtext.plain(item.get("body")),
        text.clean_text(item.get("other_title")),
        richtext.plain(item.get("other_body")) or None,
        text.clean_text(item.get("person_name")),
        item.get("credit", "full_name"),
        [text.clean_text(item.get("alt"))],
    )


def _story(conference, tracks, item, n):
    where = f"sample_stories[{n}]"
    track_key = item.get("track")
    if track_key not in tracks:
        raise ContentError(f"{where}.track: one of {', '.join(sorted(tracks))}")
    language = item.get("language")
    if language not in ("en", "ar"):
        raise ContentError(f'{where}.language: "en" or "ar"')
    try:
        credit = Credit(item.get("credit", "full_name"))
    except ValueError:
        raise ContentError(f'{where}.credit: "full_name", "initials" or "anonymous"') from None
    for name in ("title", "body", "person_name", "alt"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise ContentError(f"{where}.{name}: required text")
    now = utcnow()
    story = Story(
        conference=conference,
        status=StoryStatus.approved,
        track=tracks[track_key],
        language=language,
        title=text.clean_text(item["title"]),
        body=richtext.plain(item["body"]),
        other_title=text.clean_text(item.get("other_title")),
        other_body=richtext.plain(item.get("other_body")) or None,
        person_name=text.clean_text(item["person_name"]),
        credit=credit,
        links=[],
        submitter_name="Sample",
        submitter_email=SAMPLE_SUBMITTER,
        email_language=language,
        consent_public=True,
        consent_sponsors=True,
        decided_at=now,
        decided_by="Sample",
        submitted_at=now,
        updated_at=now,
        is_sample=True,
    )
    variants = images.process(_picture(track_key, n))
    story.photos.append(
        StoryPhoto(
            image_key=images.store(variants, visible=True),
            alt=text.clean_text(item["alt"]),
            width=variants[-1].width,
            height=variants[-1].height,
        )
    )
    consent.record(
        story,
        ConsentEvent.given,
        by_role=consent.SUBMITTER,
        by_name="Sample",
        language=language,
        wording="Sample story: invented for demonstrations.",
        now=now,
    )
    return story


def _picture(track_key, n):
    """A PNG gradient in the track's colours, with a few circles: a stand-in photo."""
    start, end = COLOURS.get(track_key, ((90, 90, 90), (200, 200, 200)))
    picture = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(picture)
    width, height = SIZE
    for y in range(height):
        mix = y / (height - 1)
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(start, end, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    for i in range(3):
        x = (n * 173 + i * 311) % width
        y = (n * 97 + i * 211) % height
        radius = 80 + 40 * i
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline="white", width=6)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()
