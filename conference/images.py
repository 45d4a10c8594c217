"""Uploaded images, made safe: recognised by decoding, bounded, re-encoded, stored in the database.

Nothing uploaded is ever served as uploaded. An upload is opened with Pillow, which
decides what it is from its bytes (a script renamed ``.jpg`` is refused whatever its
name); only JPEG, PNG and WebP pass. Its size in bytes and in pixels is checked before
any pixel is decoded (a 20,000 × 20,000 "decompression bomb" is refused from its header),
then it is decoded whole (a truncated file is refused), turned upright by its EXIF
orientation, and re-encoded to WebP at a few widths with no metadata at all: no EXIF, no
GPS, no ICC comment, nothing of the original file but its pixels.

The variants live in the database (``stored_image``): a few thousand small WebP files
fit easily, every app server on every machine sees them at once, and the backups that
already hold the database hold them too. ``/media/<key>-<width>.webp`` serves a variant
with a year-long, immutable cache: a key is random and never reused, so a changed image
is a new key. An image is served only while its owner says it may be (``set_visible``):
a withdrawn story's photos answer 404 from the next request on.
"""

import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, make_response
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from PIL import Image, ImageOps, UnidentifiedImageError

from conference.access import public
from conference.clock import utcnow
from conference.extensions import db

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Card (gallery, conference page), page (a story), large (wide screens, sharing cards).
WIDTHS = (400, 800, 1200)
WEBP_QUALITY = 80
YEAR = 365 * 24 * 3600


class ImageRefused(ValueError):
    """An upload that is not an image we take; ``str()`` is the visitor's message."""


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    data: bytes


class StoredImage(db.Model):
    """One re-encoded variant of an uploaded image."""

    __tablename__ = "stored_image"
    __table_args__ = (sa.UniqueConstraint("key", "width", name="uq_stored_image_key_width"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Random, never reused, carries nothing about the image or its owner.
    key: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    width: so.Mapped[int]
    height: so.Mapped[int]
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    visible: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime]


def _limits():
    config = current_app.config
    return config["IMAGE_MAX_BYTES"], config["IMAGE_MAX_PIXELS"]


def process(data, *, widths=WIDTHS, max_bytes=None, max_pixels=None):
    """Return the WebP variants of the uploaded ``data``, or raise ``ImageRefused``.

    One variant per width in ``widths`` narrower than the image, and one at the image's
    own width if it is narrower than the largest: never enlarged.
    """
    if max_bytes is None or max_pixels is None:
        default_bytes, default_pixels = _limits()
        max_bytes = max_bytes or default_bytes
        max_pixels = max_pixels or default_pixels
    if not data:
        raise ImageRefused(_l("The selected file is empty"))
    if len(data) > max_bytes:
        raise ImageRefused(
            _l("The photo must be smaller than %(limit)s", limit=f"{max_bytes // 2**20} MB")
        )
    picture = _open(data, max_pixels)
    picture = ImageOps.exif_transpose(picture)
    if picture.mode not in ("RGB", "RGBA"):
        has_alpha = picture.mode in ("LA", "PA") or "transparency" in picture.info
        picture = picture.convert("RGBA" if has_alpha else "RGB")
    variants = []
    for width in sorted({min(w, picture.width) for w in widths}):
        copy = picture
        if width < picture.width:
            height = max(1, round(picture.height * width / picture.width))
            copy = picture.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # No exif=, icc_profile= or xmp=: the WebP carries pixels and nothing else.
        copy.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        variants.append(Variant(copy.width, copy.height, out.getvalue()))
    return variants


def _open(data, max_pixels):
    refused = ImageRefused(_l("The selected file must be a JPG, PNG or WebP photo"))
    try:
        picture = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    except Image.DecompressionBombError:  # Pillow's own limit, met before ours
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise refused from None
    if picture.format not in ACCEPTED_FORMATS:
        raise refused
    width, height = picture.size
    if width < 1 or height < 1:
        raise refused
    if width * height > max_pixels or getattr(picture, "n_frames", 1) > 1:
        # Checked from the header, before a single pixel is decoded.
        raise _too_many_pixels(max_pixels)
    try:
        picture.load()  # a truncated or corrupt file fails here
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ImageRefused(_l("The photo could not be read: it may be damaged")) from None
    return picture


def _too_many_pixels(max_pixels):
    return ImageRefused(
        _l(
            "The photo has too many pixels: make it smaller (%(limit)s at most)",
            limit=f"{max_pixels // 1_000_000} MP",
        )
    )


def store(variants, *, visible=False):
    """Add ``variants`` to the session under a new key; return the key (no commit)."""
    key = secrets.token_hex(12)
    now = utcnow()
    for variant in variants:
        db.session.add(
            StoredImage(
                key=key,
                width=variant.width,
                height=variant.height,
                data=variant.data,
                visible=visible,
                created_at=now,
            )
        )
    return key


def set_visible(keys, visible):
    """Serve (or stop serving) the images under ``keys`` from the next request (no commit)."""
    keys = [key for key in keys if key]
    if keys:
        db.session.execute(
            sa.update(StoredImage).where(StoredImage.key.in_(keys)).values(visible=visible)
        )


def delete(keys):
    """Remove the images under ``keys`` for good (no commit)."""
    keys = [key for key in keys if key]
    if keys:
        db.session.execute(sa.delete(StoredImage).where(StoredImage.key.in_(keys)))


def sizes_of(keys):
    """``{key: [(width, height), ...]}``, narrowest first, for building ``<img>`` tags."""
    found = {}
    if not keys:
        return found
    rows = db.session.execute(
        sa.select(StoredImage.key, StoredImage.width, StoredImage.height)
        .where(StoredImage.key.in_(set(keys)))
        .order_by(StoredImage.key, StoredImage.width)
    )
    for key, width, height in rows:
        found.setdefault(key, []).append((width, height))
    return found


def media_url(key, width):
    return f"/media/{key}-{width}.webp"


def img_tag(key, sizes_list, *, alt, sizes="100vw", css_class=None, lazy=True, largest=None):
    """An ``<img>`` with ``srcset``, ``width`` and ``height`` (no layout shift)."""
    if not sizes_list:
        return Markup("")
    usable = [s for s in sizes_list if largest is None or s[0] <= largest] or sizes_list[:1]
    width, height = usable[-1]
    srcset = ", ".join(f"{media_url(key, w)} {w}w" for w, _ in usable)
    attributes = [
        f'src="{media_url(key, width)}"',
        f'srcset="{srcset}"',
        f'sizes="{escape(sizes)}"',
        f'width="{width}"',
        f'height="{height}"',
        f'alt="{escape(alt or "")}"',
        'decoding="async"',
    ]
    if lazy:
        attributes.append('loading="lazy"')
    if css_class:
        attributes.append(f'class="{escape(css_class)}"')
    return Markup(f"<img {' '.join(attributes)}>")


bp = Blueprint("media", __name__)


@bp.route("/media/<string(length=24):key>-<int:width>.webp")
@public
def image(key, width):
    row = db.session.execute(
        sa.select(StoredImage.data).where(
            StoredImage.key == key, StoredImage.width == width, StoredImage.visible.is_(True)
        )
    ).first()
    if row is None:
        abort(404)
    response = make_response(bytes(row.data))
    response.headers["Content-Type"] = "image/webp"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
    )
    # The key is never reused, so the bytes never change; but withdrawal must reach
    # shared caches, so only browsers keep it for long.
    response.headers["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    return response


def init_app(app):
    app.register_blueprint(bp)
