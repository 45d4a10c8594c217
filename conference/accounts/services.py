"""Staff accounts: creating, inviting, signing in (password, then authenticator code).

Passwords are hashed with scrypt (Werkzeug's default). Five wrong passwords in a row lock
an account for 15 minutes; the answer to a wrong password never says whether the
address has an account. Authenticator codes (TOTP) are accepted once each.
"""

import hashlib
import secrets
import unicodedata
from datetime import UTC, timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from conference import audit, database
from conference.access import Role
from conference.accounts.models import User
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.outbox import utcnow
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, render_email
from conference.urls import external_url

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
INVITE_VALID = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12
RECOVERY_CODES = 10
# A hash to compare against when the address has no account, so that both answers take
# the same time.
_DUMMY_HASH = generate_password_hash("an unguessable placeholder password")


class AccountError(Exception):
    """An account rule was broken. The message is safe to show."""


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email):
    return (email or "").strip().lower()


def find_user(email):
    """Return the account for ``email``, or ``None``."""
    return db.session.scalar(sa.select(User).filter_by(email=normalise_email(email)))


def load_session_user(session_id):
    """Return the enabled user a session cookie names (``"<id>:<version>"``), or ``None``."""
    try:
        user_id, version = (int(part) for part in str(session_id).split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_enabled or user.session_version != version:
        return None
    return user


def check_password_rules(password, email):
    """:raises AccountError: the password is too short or is the email address."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("Use a password of at least %(count)s characters", count=MIN_PASSWORD_LENGTH)
        )
    if password.strip().lower() == normalise_email(email):
        raise AccountError(_l("Do not use your email address as your password"))


def create_user(email, *, role, name="", password=None, actor=None):
    """Create an account. Commits. Returns the user.

    :raises AccountError: the address already has an account, or the password is weak.
    """
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(
            _l("Enter an email address in the correct format, like name@example.com")
        )
    database.begin_write()  # see record_login
    if find_user(email) is not None:
        db.session.commit()
        raise AccountError(_l("There is already an account for this email address"))
    user = User(email=email, name=name.strip(), role=Role(role), created_at=utcnow())
    if password is not None:
        check_password_rules(password, email)
        user.password_hash = generate_password_hash(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, user=user.email, role=user.role.value)
    db.session.commit()
    return user


def authenticate(email, password, *, now=None):
    """Return the user whose email and password these are.

    :raises AccountError: wrong email or password (one message for both), or locked.
    """
    now = now or utcnow()
    user = find_user(email)
    if user is None or not user.password_hash or not user.is_enabled:
        check_password_hash(_DUMMY_HASH, password or "")  # same time either way
        raise AccountError(_l("The email address or password is incorrect"))
    if user.locked_until and user.locked_until > now:
        raise AccountError(_l("Too many wrong passwords. Wait 15 minutes, then try again."))
    correct = check_password_hash(user.password_hash, password or "")
    database.begin_write()  # after the (slow) hash: see record_login
    if not correct:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins = 0
            user.locked_until = now + LOCKOUT
            audit.record("user.locked", actor=user, user=user.email)
        db.session.commit()
        raise AccountError(_l("The email address or password is incorrect"))
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    return user


def record_login(user, *, now=None):
    """Note a completed sign-in (after the second factor, if any). Commits."""
    # A writer from the start: on SQLite a read transaction cannot become a write once
    # another process has written since (check-in volunteers signing in together).
    database.begin_write()
    user.last_login_at = now or utcnow()
    audit.record("user.signed_in", actor=user)
    db.session.commit()


def sign_out_everywhere(user):
    """End every session of ``user`` on every device. Commits."""
    database.begin_write()  # see record_login
    user.session_version += 1
    audit.record("user.signed_out_everywhere", actor=user)
    db.session.commit()


# --- Two factors ----------------------------------------------------------------------


def start_totp(user):
    """Give ``user`` a new authenticator secret (not yet active). Commits; returns it."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    db.session.commit()
    return user.totp_secret


def totp_qr_svg(user):
    """Return the enrolment QR code for ``user``'s pending secret as an SVG data URI."""
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TOTP_ISSUER"]
    )
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _clean_code(code):
    # Authenticator codes may arrive with spaces, hyphens or Arabic-Indic digits.
    digits = []
    for char in str(code or ""):
        if char.isspace() or char == "-":
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        digits.append(str(value))
    return "".join(digits)


def verify_code(user, code, *, now=None):
    """Return whether ``code`` is a current authenticator code (each works once) or an
    unused recovery code of ``user``. Commits what it uses up."""
    now = now or utcnow()
    database.begin_write()  # see record_login; also: a code is used up once, not twice
    cleaned = _clean_code(code)
    if user.totp_secret and cleaned and len(cleaned) == 6:
        totp = pyotp.TOTP(user.totp_secret)
        timestamp = int(now.replace(tzinfo=UTC).timestamp())
        for offset in (-1, 0, 1):  # one step of clock drift either way
            at = timestamp + offset * totp.interval
            if secrets.compare_digest(totp.at(at), cleaned):
                step = at // totp.interval
                if user.totp_last_step is not None and step <= user.totp_last_step:
                    db.session.commit()  # ends the write transaction
                    return False  # a code, or an older one, used again
                user.totp_last_step = step
                db.session.commit()
                return True
    recovery = (str(code or "").strip().lower()).replace(" ", "")
    if recovery and _hash(recovery) in (user.recovery_codes or []):
        user.recovery_codes = [h for h in user.recovery_codes if h != _hash(recovery)]
        audit.record("user.recovery_code_used", actor=user)
        db.session.commit()
        return True
    db.session.commit()  # ends the write transaction
    return False


def confirm_totp(user, code, *, now=None):
    """Turn two factors on once the user shows a code from the new secret.

    Commits. Returns the recovery codes, shown to the user once and stored hashed.

    :raises AccountError: the code is wrong.
    """
    if not user.totp_secret or not verify_code(user, code, now=now):
        raise AccountError(
            _l("The code is incorrect or has expired. Enter the code your app shows now")
        )
    database.begin_write()  # see record_login
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [_hash(c) for c in codes]
    user.totp_enabled = True
    audit.record("user.two_factor_enabled", actor=user)
    db.session.commit()
    return codes


# --- Invitations and administration -------------------------------------------------


def invite_user(email, *, role, name="", actor):
    """Create an account for ``email`` and email a one-time link to set its password.

    Commits. :raises AccountError: as ``create_user``.
    """
    user = create_user(email, role=role, name=name, actor=actor)
    send_invitation(user, actor=actor)
    return user


def send_invitation(user, *, actor):
    """Email ``user`` a fresh one-time link to set a password (valid 7 days). Commits."""
    database.begin_write()  # see record_login
    token = secrets.token_urlsafe(32)
    user.invite_hash = _hash(token)
    user.invite_expires_at = utcnow() + INVITE_VALID
    outbox.enqueue(
        outbox.Intent(
            kind="accounts.invitation",
            recipient=user.email,
            recipient_name=user.name or None,
            language=current_app.config["BABEL_DEFAULT_LOCALE"],
            snapshot={
                # "_": the outbox drops the working link once the invitation is sent.
                "_link": external_url("accounts.accept_invitation", token=token),
                "role": user.role.value,
                "inviter": actor.name or actor.email if actor else None,
            },
        )
    )
    audit.record("user.invited", actor=actor, user=user.email, role=user.role.value)
    db.session.commit()
    return token


@outbox.renderer("accounts.invitation")
def render_invitation(row, rendering):
    """The invitation; organizers reading it in the outbox see no working link."""
    link = row.snapshot.get("_link")
    if rendering.display or not link:
        link = PRIVATE_LINK_REMOVED
    return render_email(
        "accounts/invitation",
        to=row.recipient,
        name=row.recipient_name,
        language=row.language,
        link=link,
        role=Role(row.snapshot["role"]),
        inviter=row.snapshot.get("inviter"),
    )


def find_invited(token, *, now=None):
    """Return the user a valid, unexpired invitation token is for, or ``None``."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(sa.select(User).filter_by(invite_hash=_hash(token)))
    if user is None or not user.invite_expires_at or user.invite_expires_at < (now or utcnow()):
        return None
    return user


def accept_invitation(user, password):
    """Set ``user``'s password from their invitation and use the link up. Commits.

    :raises AccountError: the password breaks a rule.
    """
    check_password_rules(password, user.email)
    password_hash = generate_password_hash(password)
    database.begin_write()  # after the (slow) hash: see record_login
    user.password_hash = password_hash
    user.invite_hash = None
    user.invite_expires_at = None
    user.session_version += 1
    audit.record("user.password_set", actor=user)
    db.session.commit()


def change_role(user, role, *, actor):
    """Give ``user`` another role; their sessions end. Commits."""
    database.begin_write()  # see record_login
    old = user.role
    user.role = Role(role)
    user.session_version += 1
    audit.record(
        "user.role_changed", actor=actor, user=user.email, old=old.value, new=user.role.value
    )
    db.session.commit()


def set_enabled(user, enabled, *, actor):
    """Enable or disable ``user``; disabling ends their sessions. Commits.

    :raises AccountError: an admin disabling their own account.
    """
    if actor is not None and user.id == actor.id and not enabled:
        raise AccountError(_l("You cannot disable your own account"))
    database.begin_write()  # see record_login
    user.is_enabled = bool(enabled)
    user.session_version += 1
    audit.record("user.enabled" if enabled else "user.disabled", actor=actor, user=user.email)
    db.session.commit()


def list_users():
    return list(db.session.scalars(sa.select(User).order_by(User.role, User.email)))
