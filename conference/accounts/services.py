"""Staff accounts: creating, inviting, signing in (password, then authenticator code).

Passwords are hashed with scrypt (Werkzeug's default). Wrong passwords slow down the
client address that makes them, not the account (``throttle.py``); the answer to a
wrong password, and the work behind it, never say whether the address has an account.
Authenticator codes (TOTP) are accepted once each, and wrong ones are limited per
account.
"""

import functools
import secrets
import unicodedata
from datetime import UTC, timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from conference import audit, database, text
from conference.access import Role
from conference.accounts import sessions, throttle
from conference.accounts.models import User
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, render_email
from conference.tokens import new_token, token_hash
from conference.urls import external_url

# The sign-in's code step: after this many wrong codes in a row the sign-in starts over
# from the password, and the account's code step stays closed for CODE_WAIT, doubled
# with each further round, up to CODE_WAIT_CAP.
MAX_WRONG_CODES = 5
CODE_WAIT = timedelta(minutes=1)
CODE_WAIT_CAP = timedelta(hours=1)
# How long the step between a right password and the code may take.
PENDING_VALID = timedelta(minutes=10)
INVITE_VALID = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12
RECOVERY_CODES = 10


# A hash to compare against when the address has no account, so that both answers take
# the same time. Made on the first sign-in of the process, whichever the address (scrypt
# takes ~80 ms, which every command and app start would pay if made on import).
@functools.cache
def _dummy_hash():
    return generate_password_hash("an unguessable placeholder password")


class AccountError(Exception):
    """An account rule was broken. The message is safe to show."""


class SignInOver(AccountError):
    """This sign-in attempt cannot go on: it must start again from the password."""


def normalise_email(email):
    """The form addresses are stored and compared in: ``text.normalise_email``, the rule
    registrations use. What is not an address is kept as typed, trimmed and lower-cased,
    so that it is still counted by the sign-in throttle; it matches no account."""
    try:
        return text.normalise_email(email)
    except text.InvalidEmailAddress:
        return (email or "").strip().lower()


def find_user(email):
    """Return the account for ``email``, or ``None``."""
    return db.session.scalar(sa.select(User).filter_by(email=normalise_email(email)))


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
    try:
        email = text.normalise_email(email)
    except text.InvalidEmailAddress:
        raise AccountError(
            _l("Enter an email address in the correct format, like name@example.com")
        ) from None
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


def authenticate(email, password, *, ip=None, now=None):
    """Return the user whose email and password these are, signing in from ``ip``.

    Whatever the case (unknown address, disabled account, wrong password, slowed down),
    one password hash is checked, so the time taken tells nothing; and an unknown
    address is counted and slowed down exactly like a known one.

    :raises AccountError: wrong email or password (one message for both), or this client
        address must wait before trying this address again.
    """
    now = now or utcnow()
    dummy = _dummy_hash()  # made on the first sign-in, whichever the address
    email = normalise_email(email)
    user = find_user(email)
    usable = user is not None and bool(user.password_hash) and user.is_enabled
    wait = throttle.wait(email, ip, now=now)
    correct = check_password_hash(user.password_hash if usable else dummy, password or "")
    if wait is not None:
        db.session.commit()  # ends the read transaction, as the other answers do
        raise AccountError(
            _l(
                "Too many attempts to sign in with this address from here. Try again in %(wait)s.",
                wait=_duration(wait),
            )
        )
    database.begin_write()  # after the (slow) hash: see record_login
    if not (usable and correct):
        delay = throttle.failed(email, ip, now=now)
        if delay is not None:
            # For unknown addresses too (with no account named): the same work either way,
            # and admins see guessing from an address whatever it aims at.
            audit.record(
                "user.sign_in_slowed",
                actor=user if usable else None,
                minutes=int(delay.total_seconds() // 60),
            )
        db.session.commit()
        raise AccountError(_l("The email address or password is incorrect"))
    throttle.succeeded(email, ip, now=now)
    db.session.commit()
    return user


def record_login(user, *, user_agent=None, now=None):
    """Note a completed sign-in (after the second factor, if any) and open its
    server-side session. Commits. Returns the session's token, for the cookie."""
    # A writer from the start: on SQLite a read transaction cannot become a write once
    # another process has written since (check-in volunteers signing in together).
    database.begin_write()
    now = now or utcnow()
    user.last_login_at = now
    token = sessions.start(user, user_agent=user_agent, now=now)
    audit.record("user.signed_in", actor=user)
    db.session.commit()
    user.session_token = token
    return token


def sign_out(user):
    """End the session this request belongs to, on the server. Commits."""
    sessions.end(user.session_token)


def end_session(user, session_id):
    """End one of ``user``'s own sessions (another device's, say). Commits.

    Returns whether there was such an open session.
    """
    ended = sessions.end_one(user, session_id)
    if ended:
        database.begin_write()
        audit.record("user.session_ended", actor=user)
        db.session.commit()
    return ended


def sign_out_everywhere(user):
    """End every session of ``user`` on every device. Commits."""
    database.begin_write()  # see record_login
    sessions.end_all(user.id)
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


def pending_sign_in(user, *, now=None):
    """What the session keeps between a right password and the code step.

    It names the account, the round of wrong codes it was issued in and when: after
    ``MAX_WRONG_CODES`` wrong codes a new round begins, so a copy of the session cookie
    from before cannot go on trying codes; and it lapses after ``PENDING_VALID``.
    """
    issued = int((now or utcnow()).replace(tzinfo=UTC).timestamp())
    return f"{user.id}:{user.failed_codes // MAX_WRONG_CODES}:{issued}"


def load_pending(value, *, now=None):
    """Return the enabled user of a pending sign-in (``pending_sign_in``) still valid, or
    ``None``."""
    try:
        user_id, round_, issued = (int(part) for part in str(value).split(":"))
    except ValueError:
        return None
    now = int((now or utcnow()).replace(tzinfo=UTC).timestamp())
    if not 0 <= now - issued <= PENDING_VALID.total_seconds() or not 0 < user_id < 2**31:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_enabled or user.failed_codes // MAX_WRONG_CODES != round_:
        return None
    return user


def sign_in_code(user, code, *, now=None):
    """The sign-in's second step: return whether ``code`` is right for ``user``. Commits.

    Wrong codes are counted per account (whatever the browser or address) and each is an
    audit event (``user.code_failed``). Every ``MAX_WRONG_CODES``-th wrong code in a row
    closes the account's code step for a time that doubles each round, and the sign-in
    must start again from the password. A right code resets the count.

    :raises SignInOver: the step is closed (now or already).
    """
    now = now or utcnow()
    if user.codes_blocked_until is not None and user.codes_blocked_until > now:
        raise SignInOver(_too_many_codes(user.codes_blocked_until - now))
    if verify_code(user, code, now=now):
        if user.failed_codes:
            database.begin_write()
            user.failed_codes = 0
            user.codes_blocked_until = None
            db.session.commit()
        return True
    database.begin_write()  # see record_login
    # Counted in the database: concurrent wrong codes each count.
    failed = db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(failed_codes=User.failed_codes + 1)
        .returning(User.failed_codes)
    ).scalar_one()
    audit.record("user.code_failed", actor=user, wrong_in_a_row=failed)
    wait = None
    if failed % MAX_WRONG_CODES == 0:
        wait = min(CODE_WAIT * 2 ** (failed // MAX_WRONG_CODES - 1), CODE_WAIT_CAP)
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(codes_blocked_until=now + wait)
        )
        audit.record("user.code_step_closed", actor=user, minutes=int(wait.total_seconds() // 60))
    db.session.commit()
    if wait is not None:
        raise SignInOver(_too_many_codes(wait))
    return False


def _too_many_codes(wait):
    return _l("Too many wrong codes. Sign in again in %(wait)s.", wait=_duration(wait))


def _duration(wait):
    """``wait`` in words, in the current language ("2 minutes", "دقيقتان")."""
    return format_timedelta(max(wait, timedelta(minutes=1)), granularity="minute")


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
    if recovery and token_hash(recovery) in (user.recovery_codes or []):
        user.recovery_codes = [h for h in user.recovery_codes if h != token_hash(recovery)]
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
    user.recovery_codes = [token_hash(c) for c in codes]
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
    """Queue an invitation to ``user`` to set a password. Commits.

    Its one-time link is minted when the deliverer renders the message (valid for
    ``INVITE_VALID`` from then; only its hash is kept), so no working link waits in the
    outbox. A link sent earlier stops working now.
    """
    database.begin_write()  # see record_login
    user.invite_hash = None
    user.invite_expires_at = None
    outbox.enqueue(
        outbox.Intent(
            kind="accounts.invitation",
            recipient=user.email,
            recipient_name=user.name or None,
            language=current_app.config["BABEL_DEFAULT_LOCALE"],
            snapshot={
                "user": user.id,
                "role": user.role.value,
                "inviter": actor.name or actor.email if actor else None,
            },
        )
    )
    audit.record("user.invited", actor=actor, user=user.email, role=user.role.value)
    db.session.commit()


# Mints an invitation link: only for the account the message is addressed to, while it
# is enabled (a link never goes to an address the account no longer has).
_MINT_INVITATION = (
    sa.update(User.__table__)
    .where(
        User.__table__.c.id == sa.bindparam("user_id"),
        User.__table__.c.email == sa.bindparam("address"),
        User.__table__.c.is_enabled.is_(True),
    )
    .values(invite_hash=sa.bindparam("token_hash"), invite_expires_at=sa.bindparam("until"))
)


@outbox.renderer("accounts.invitation")
def render_invitation(row, rendering):
    """The invitation, with a link minted now; organizers reading it see no working link."""
    user_id = row.snapshot.get("user")
    link = row.snapshot.get("_link")  # an invitation queued before links were minted here
    if rendering.display or (user_id is None and not link):
        link = PRIVATE_LINK_REMOVED
    elif user_id is not None:
        token = new_token()
        rendering.stage(
            _MINT_INVITATION,
            user_id=user_id,
            address=row.recipient,
            token_hash=token_hash(token),
            until=utcnow() + INVITE_VALID,
        )
        link = external_url("accounts.accept_invitation", token=token)
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
    user = db.session.scalar(sa.select(User).filter_by(invite_hash=token_hash(token)))
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
    sessions.end_all(user.id)
    audit.record("user.password_set", actor=user)
    db.session.commit()


def reset_password(user, password):
    """Give ``user`` a new password from the command line; their sessions end. Commits.

    For whoever has lost theirs (the demo organizer's, printed once): the audit log says
    the password was set from the command line.

    :raises AccountError: the password breaks a rule.
    """
    check_password_rules(password, user.email)
    password_hash = generate_password_hash(password)
    database.begin_write()  # after the (slow) hash: see record_login
    user.password_hash = password_hash
    user.invite_hash = None
    user.invite_expires_at = None
    sessions.end_all(user.id)
    audit.record("user.password_set", actor_name=audit.SYSTEM, user=user.email, via="command line")
    db.session.commit()


def _refuse_leaving_no_admin(user):
    """Refuse to take the admin role from the last enabled admin (the caller then commits).

    The enabled admins are locked (PostgreSQL) or the write lock is held (SQLite), so two
    admins demoting each other at once cannot both succeed and leave nobody.

    :raises AccountError: ``user`` is the last enabled admin.
    """
    admins = db.session.scalars(
        sa.select(User.id)
        .where(User.role == Role.admin, User.is_enabled.is_(True))
        .with_for_update()
    ).all()
    if admins == [user.id]:
        db.session.commit()  # ends the write transaction
        raise AccountError(
            _l(
                "There must always be an administrator. Give someone else the "
                "administrator role first."
            )
        )


def change_role(user, role, *, actor):
    """Give ``user`` another role; their sessions end. Commits.

    :raises AccountError: ``user`` is the last enabled admin and ``role`` is not admin.
    """
    role = Role(role)
    database.begin_write()  # see record_login
    if user.role == Role.admin and role != Role.admin:
        _refuse_leaving_no_admin(user)
    old = user.role
    user.role = role
    sessions.end_all(user.id)
    audit.record(
        "user.role_changed", actor=actor, user=user.email, old=old.value, new=user.role.value
    )
    db.session.commit()


def set_enabled(user, enabled, *, actor):
    """Enable or disable ``user``; disabling ends their sessions. Commits.

    :raises AccountError: an admin disabling their own account, or the last admin.
    """
    if actor is not None and user.id == actor.id and not enabled:
        raise AccountError(_l("You cannot disable your own account"))
    database.begin_write()  # see record_login
    if not enabled and user.role == Role.admin:
        _refuse_leaving_no_admin(user)
    user.is_enabled = bool(enabled)
    sessions.end_all(user.id)
    audit.record("user.enabled" if enabled else "user.disabled", actor=actor, user=user.email)
    db.session.commit()


def list_users():
    return list(db.session.scalars(sa.select(User).order_by(User.role, User.email)))
