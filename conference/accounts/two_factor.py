"""Two factors: the authenticator (TOTP) and recovery codes, and the sign-in's code step.

Authenticator codes are accepted once each, and wrong ones are limited per account:
after ``MAX_WRONG_CODES`` in a row the sign-in starts over from the password, and the
account's code step stays closed for a while.
"""

import secrets
import unicodedata
from datetime import UTC, timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from conference import audit, database
from conference.accounts.models import User
from conference.accounts.services import AccountError, SignInOver, duration
from conference.clock import utcnow
from conference.extensions import db
from conference.tokens import token_hash

# The sign-in's code step: after this many wrong codes in a row the sign-in starts over
# from the password, and the account's code step stays closed for CODE_WAIT, doubled
# with each further round, up to CODE_WAIT_CAP.
MAX_WRONG_CODES = 5
CODE_WAIT = timedelta(minutes=1)
CODE_WAIT_CAP = timedelta(hours=1)
# How long the step between a right password and the code may take.
PENDING_VALID = timedelta(minutes=10)
RECOVERY_CODES = 10


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
    return _l("Too many wrong codes. Sign in again in %(wait)s.", wait=duration(wait))


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
