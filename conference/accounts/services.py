"""Staff accounts: creating, inviting, signing in (password, then authenticator code).

Passwords are hashed with scrypt (Werkzeug's default). Wrong passwords slow down the
client address that makes them, not the account (``throttle.py``); the answer to a
wrong password, and the work behind it, never say whether the address has an account.
The second step (authenticator codes, recovery codes) is in ``two_factor``; the
invitation email in ``emails``.
"""

import functools
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_timedelta, lazy_ngettext
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from conference import audit, database, text
from conference.access import Role
from conference.accounts import sessions, throttle
from conference.accounts.models import User
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.tokens import token_hash

INVITE_VALID = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12


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
            lazy_ngettext(
                "Use a password of at least %(num)s character",
                "Use a password of at least %(num)s characters",
                MIN_PASSWORD_LENGTH,
            )
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
                wait=duration(wait),
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
    _set_password(user, password, actor=user)


def reset_password(user, password):
    """Give ``user`` a new password from the command line; their sessions end. Commits.

    For whoever has lost theirs (the demo organizer's, printed once): the audit log says
    the password was set from the command line.

    :raises AccountError: the password breaks a rule.
    """
    _set_password(user, password, actor_name=audit.SYSTEM, user=user.email, via="command line")


def _set_password(account, password, **event):
    """Check the rules, set ``account``'s password, end the invitation and every session,
    record ``user.password_set`` with ``event``, and commit."""
    check_password_rules(password, account.email)
    password_hash = generate_password_hash(password)
    database.begin_write()  # after the (slow) hash: see record_login
    account.password_hash = password_hash
    account.invite_hash = None
    account.invite_expires_at = None
    sessions.end_all(account.id)
    audit.record("user.password_set", **event)
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


def duration(wait):
    """``wait`` in words, in the current language ("2 minutes", "دقيقتان")."""
    return format_timedelta(max(wait, timedelta(minutes=1)), granularity="minute")
