"""The check-in code each confirmed registration carries, and its QR image.

Registration mints the code (in the transaction that confirms a seat) and attaches its
QR code to the confirmation email; the check-in desk (``conference.checkin``) reads it.
The code is random and identifies one registration; it grants nothing by itself (the
check-in pages need a staff sign-in) and is not the private manage link.
"""

import io
import secrets

import segno

from conference.urls import external_url

CODE_BYTES = 12  # 16 URL-safe characters
# The check-in desk's page for one code (``conference.checkin.staff_views``), by name.
CODE_ENDPOINT = "checkin.code"


def ensure_checkin_code(registration):
    """Return ``registration``'s check-in code, creating it on first use (caller commits)."""
    if not registration.checkin_code:
        registration.checkin_code = secrets.token_urlsafe(CODE_BYTES)
    return registration.checkin_code


def checkin_url(code):
    """The absolute link the QR code carries: the staff page for this code."""
    return external_url(CODE_ENDPOINT, code=code)


def qr_png(url):
    """Return a PNG of a QR code for ``url``: black on white, quiet zone, about 300 px."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
