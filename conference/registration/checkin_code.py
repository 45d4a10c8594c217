"""The check-in code each confirmed registration carries, and its QR image.

Registration mints the code (in the transaction that confirms a seat) and puts its QR
code in the confirmation email (an inline image and an attachment) and on the private
page (inline SVG); the check-in desk (``conference.checkin``) reads it. The code is
random and identifies one registration; it grants nothing by itself (the check-in pages
need a staff sign-in) and is not the private manage link.
"""

import functools
import io
import secrets

import segno
from markupsafe import Markup

from conference.urls import external_url

CODE_BYTES = 12  # 16 URL-safe characters
# The check-in desk's page for one code (``conference.checkin.staff_views``), by name.
CODE_ENDPOINT = "checkin.code"
# The QR image's file name, in the email's attachment and its inline (``cid:``) part.
QR_FILENAME = "checkin.png"


def new_checkin_code():
    """Return a fresh check-in code (unsaved)."""
    return secrets.token_urlsafe(CODE_BYTES)


def ensure_checkin_code(registration):
    """Return ``registration``'s check-in code, creating it on first use (caller commits)."""
    if not registration.checkin_code:
        registration.checkin_code = new_checkin_code()
    return registration.checkin_code


def checkin_url(code):
    """The absolute link the QR code carries: the staff page for this code."""
    return external_url(CODE_ENDPOINT, code=code)


def _qr(url):
    return segno.make(url, error="m", micro=False)


def qr_png(url):
    """Return a PNG of a QR code for ``url``: black on white, quiet zone, about 300 px."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def checkin_qr_svg(registration):
    """The QR code of ``registration``'s check-in link as inline SVG markup, or ``None``.

    Only for an active registration holding a seat (a waiting list has nothing to check
    in). The SVG has no size of its own (CSS sizes it), a white quiet zone for scanning
    and printing, and is named by the element ``aria-labelledby`` points to
    (``checkin-qr-label``).
    """
    code = registration.checkin_code
    if not code or not registration.is_active or not registration.confirmed_places:
        return None
    return Markup(qr_svg(checkin_url(code)))


@functools.lru_cache(maxsize=1024)
def qr_svg(url):
    """Return the SVG markup of a QR code for ``url`` (about 2 KB).

    Kept per link, in the process: making one takes about 4 ms, as long as the rest of
    the private page; the page is opened often, and a link's image never changes.
    """
    buffer = io.BytesIO()
    _qr(url).save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        omitsize=True,
        border=4,
        dark="#000",
        light="#fff",
        svgclass="checkin-qr__image",
        lineclass=None,
    )
    svg = buffer.getvalue().decode("ascii")
    return svg.replace(
        "<svg ", '<svg role="img" aria-labelledby="checkin-qr-label" focusable="false" ', 1
    )
