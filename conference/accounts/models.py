"""Staff accounts: organizers, check-in staff, coordinators, sponsors, admins."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.access import Role
from conference.extensions import db


class User(db.Model):
    """A person who signs in to the back office, with one role."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    role: so.Mapped[Role] = so.mapped_column(sa.Enum(Role, native_enum=False, length=16))
    # scrypt (Werkzeug's default KDF); empty until an invited user sets a password.
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    is_enabled: so.Mapped[bool] = so.mapped_column(default=True)
    totp_secret: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    totp_enabled: so.Mapped[bool] = so.mapped_column(default=False)
    # The last time step a code was accepted for: a code works once.
    totp_last_step: so.Mapped[int | None]
    # Wrong codes at the sign-in's second step since the last right one, and until when
    # that step is closed after too many (see two_factor.sign_in_code).
    failed_codes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    codes_blocked_until: so.Mapped[datetime | None]
    # SHA-256 hashes of unused recovery codes.
    recovery_codes: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # One-time invitation or password-reset link (SHA-256 of the token) and its expiry.
    invite_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    invite_expires_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime]
    last_login_at: so.Mapped[datetime | None]

    # Set by sessions.start/load on the object of a signed-in request: the session's
    # token (what the cookie holds) and its row. Not columns.
    session_token = None
    session_id = None

    # Flask-Login's interface.
    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.is_enabled

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        """The session cookie's value: the server-side session's token (sessions.py)."""
        return self.session_token


class SignInThrottle(db.Model):
    """Wrong passwords counted for one key: a pair (address typed, client address) or an
    address typed alone (see accounts/throttle.py)."""

    __tablename__ = "sign_in_throttle"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # HMAC-SHA256 (hex) of what is counted: neither address is stored in clear.
    key: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    window_started_at: so.Mapped[datetime]
    blocked_until: so.Mapped[datetime | None]
    # A pair's last successful sign-in: exempts it from the per-account cap.
    succeeded_at: so.Mapped[datetime | None]
    updated_at: so.Mapped[datetime] = so.mapped_column(index=True)


class StaffSession(db.Model):
    """A signed-in browser: open until signed out, ended elsewhere, or expired."""

    __tablename__ = "staff_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # SHA-256 of the random token the session cookie holds.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: so.Mapped[datetime]
    # Written at most once a minute (sessions.SEEN_EVERY).
    last_seen_at: so.Mapped[datetime]
    # "Firefox · Android": browser and system names only; no client address is kept.
    device: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    ended_at: so.Mapped[datetime | None]
