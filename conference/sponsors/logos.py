"""A sponsor's logo: a raster re-encoded through ``images`` (served from ``/media``), or an
SVG made safe by ``svg`` (kept in ``Sponsor.logo_svg``, served by ``views.logo_svg``).

Which one a file is, is decided from its bytes, never from its name: text that starts
like XML is an SVG, anything else must decode as a PNG, WebP or JPEG.
"""

import hashlib

import sqlalchemy as sa
from flask import url_for
from markupsafe import Markup, escape

from conference import images
from conference.extensions import db
from conference.sponsors import svg

# A logo is shown about 200 pixels wide at most: twice that for sharp screens.
WIDTHS = (200, 400)
SHOWN_HEIGHT = 80


class LogoRefused(ValueError):
    """A logo we cannot take; ``str()`` is the organizer's message."""


def prepare(data):
    """Return ``("svg", text)`` or ``("raster", variants)`` for the uploaded ``data``.

    :raises LogoRefused: not an image we take, or an SVG that cannot be made safe.
    """
    try:
        if _looks_like_xml(data):
            return "svg", svg.sanitise(data)
        return "raster", images.process(data, widths=WIDTHS)
    except (svg.SvgRefused, images.ImageRefused) as exc:
        raise LogoRefused(exc.args[0]) from None


def _looks_like_xml(data):
    head = (data or b"")[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def apply(sponsor, prepared):
    """Give ``sponsor`` the ``prepare``d logo; return whether it changed (no commit).

    A raster with the very bytes already stored keeps its key (a content load run twice
    changes nothing); otherwise the old images are deleted and new ones stored.
    """
    kind, value = prepared
    if kind == "svg":
        if sponsor.logo_svg == value and not sponsor.logo_key:
            return False
        remove(sponsor)
        sponsor.logo_svg = value
        return True
    if (
        sponsor.logo_key
        and not sponsor.logo_svg
        and _stored(sponsor.logo_key) == [(v.width, v.height, v.data) for v in value]
    ):
        return False
    remove(sponsor)
    sponsor.logo_key = images.store(value, visible=True)
    return True


def remove(sponsor):
    """Take ``sponsor``'s logo away, deleting its stored images; whether it had one."""
    had = bool(sponsor.logo_key or sponsor.logo_svg)
    images.delete([sponsor.logo_key])
    sponsor.logo_key = None
    sponsor.logo_svg = None
    return had


def _stored(key):
    rows = db.session.execute(
        sa.select(images.StoredImage.width, images.StoredImage.height, images.StoredImage.data)
        .where(images.StoredImage.key == key)
        .order_by(images.StoredImage.width)
    )
    return [(width, height, bytes(data)) for width, height, data in rows]


def svg_version(sponsor):
    """A short hash of the SVG: part of its URL, so a new logo is a new URL."""
    return hashlib.sha256((sponsor.logo_svg or "").encode()).hexdigest()[:12]


def logo_tag(sponsor, sizes, *, alt=""):
    """The ``<img>`` of ``sponsor``'s logo (``sizes``: ``images.sizes_of`` of the logos,
    ``None`` to look this one up)."""
    if sizes is None:
        sizes = images.sizes_of([sponsor.logo_key])
    if sponsor.logo_svg:
        width, height = svg.size_of(sponsor.logo_svg, SHOWN_HEIGHT)
        src = url_for("sponsors.logo_svg", sponsor_id=sponsor.id, v=svg_version(sponsor))
        return Markup(
            f'<img src="{escape(src)}" width="{width}" height="{height}" '
            f'alt="{escape(alt)}" class="sponsor-logo" loading="lazy" decoding="async">'
        )
    if sponsor.logo_key:
        return images.img_tag(
            sponsor.logo_key,
            sizes.get(sponsor.logo_key, []),
            alt=alt,
            sizes="200px",
            css_class="sponsor-logo",
        )
    return Markup("")
