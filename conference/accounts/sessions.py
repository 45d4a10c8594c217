"""Staff sessions kept on the server, so that signing out ends them for good.

The session cookie names a random session id; only its SHA-256 is stored, in a
``staff_session`` row with the account, when it began, when it was last seen (written
at most once a minute, not on every request) and a summary of the browser ("Firefox ·
Android"), never the client address. Flask-Login's user loader accepts a cookie only
while its row is open: signing out closes the row, so a copy of the cookie stops
working at once; so do signing out everywhere, a role change, disabling and a new
password, which close every row of the account.
"""

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError

from conference import database
from conference.accounts.models import StaffSession, User
from conference.clock import utcnow
from conference.extensions import db
from conference.tokens import new_token, token_hash

logger = logging.getLogger(__name__)

# ``last_seen_at`` is written at most this often per session.
SEEN_EVERY = timedelta(minutes=1)

# Most specific first: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/")),
]
_SYSTEMS = [
    ("Android", re.compile(r"\bAndroid\b")),
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]


def device_of(user_agent):
    """Summarise a User-Agent as "browser · system" ("Firefox · Android"), or ``""``.

    Names only, no versions: enough for a person to recognise their own devices, and no
    more than that is kept.
    """
    text = (user_agent or "")[:500]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(text)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), None)
    return " · ".join(part for part in (browser, system) if part)


def start(user, *, user_agent=None, now=None):
    """Open a session for ``user`` in the caller's transaction; return its token (the
    cookie's value, never stored)."""
    now = now or utcnow()
    # Rows that can no longer be used are not kept: the audit log has the sign-ins.
    db.session.execute(
        sa.delete(StaffSession).where(
            StaffSession.user_id == user.id,
            sa.or_(
                StaffSession.ended_at.is_not(None),
                StaffSession.created_at <= now - _lifetime(),
            ),
        )
    )
    token = new_token()
    db.session.add(
        StaffSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            device=device_of(user_agent),
        )
    )
    return token


def _lifetime():
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime)


def load(token, *, now=None):
    """Return the enabled user whose open session ``token`` names, or ``None``.

    The user object carries ``session_token`` (so Flask-Login keeps naming this session)
    and ``session_id`` (the row, to mark "this device"). Reads only: the session is
    noted as seen after the view (``note_seen``), at most once a ``SEEN_EVERY``.
    """
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None  # also a cookie from before server-side sessions ("<id>:<version>")
    now = now or utcnow()
    found = db.session.execute(
        sa.select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or row.created_at <= now - _lifetime() or not user.is_enabled:
        return None
    if row.last_seen_at <= now - SEEN_EVERY:
        # Written after the view (note_seen): the loader may run in the middle of another
        # transaction (an audit event asks who is signed in), which a write here would
        # commit early or find unfinished.
        g.staff_session_seen = (row.id, now)
    user.session_token = token
    user.session_id = row.id
    return user


# Set while a session holds flushed, uncommitted writes: note_seen must not commit them.
_FLUSHED = "staff_sessions.flushed"


@sa.event.listens_for(so.Session, "after_flush")
def _after_flush(session, _context):
    session.info[_FLUSHED] = True


@sa.event.listens_for(so.Session, "after_commit")
@sa.event.listens_for(so.Session, "after_soft_rollback")
def _after_end(session, *_args):
    session.info.pop(_FLUSHED, None)


def note_seen(response):
    """``after_request``: write the session's ``last_seen_at`` when ``load`` found it
    older than ``SEEN_EVERY``. Best effort: a failure here costs the request nothing."""
    seen = g.pop("staff_session_seen", None)
    if seen is None:
        return response  # most requests: nothing to note
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
        return response  # the view left work unfinished: a later request notes it
    session_id, now = seen
    try:
        with database.keeping_loaded():  # a streamed response may still use what it read
            database.begin_write()
            db.session.execute(
                sa.update(StaffSession)
                .where(StaffSession.id == session_id)
                .values(last_seen_at=now)
            )
            db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        logger.warning("could not note a staff session as seen", exc_info=True)
    return response


def end(token, *, now=None):
    """Close the session ``token`` names (signing out). Commits."""
    if not isinstance(token, str):
        return
    database.begin_write()
    db.session.execute(
        sa.update(StaffSession)
        .where(StaffSession.token_hash == token_hash(token), StaffSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
    db.session.commit()


def end_one(user, session_id, *, now=None):
    """Close ``user``'s session ``session_id`` (from the account page). Commits.

    Returns whether there was such an open session of theirs.
    """
    if not 0 < session_id < 2**31:
        return False  # not an id the database could hold
    database.begin_write()
    result = db.session.execute(
        sa.update(StaffSession)
        .where(
            StaffSession.id == session_id,
            StaffSession.user_id == user.id,
            StaffSession.ended_at.is_(None),
        )
        .values(ended_at=now or utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def end_all(user_id, *, now=None):
    """Close every open session of the account ``user_id``, in the caller's transaction."""
    db.session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def active(user, *, now=None):
    """``user``'s open, unexpired sessions, the most recently seen first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(StaffSession)
            .where(
                StaffSession.user_id == user.id,
                StaffSession.ended_at.is_(None),
                StaffSession.created_at > now - _lifetime(),
            )
            .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
        )
    )
