"""Wrong passwords slow down the one who makes them, not the account's owner.

NIST SP 800-63B (5.2.2) asks to limit failed sign-ins without letting an attacker lock
the owner out. Wrong passwords are counted per pair (address typed, client address):
after ``FREE_FAILURES`` of them, that pair waits ``DELAY``, doubled with each further
failure up to ``DELAY_CAP``, before its next attempt is even looked at. Other client
addresses are not affected, so someone elsewhere cannot keep an organizer out. On top,
an address typed that collects ``ACCOUNT_CAP`` wrong passwords within an hour, from
anywhere, is closed for the rest of that hour, except from client addresses that
signed in to it successfully within ``TRUSTED_FOR`` (the owner's usual places).

Unknown addresses are counted exactly like known ones, so being slowed down says
nothing about whether an account exists. Rows are keyed by an HMAC (keyed with the
secret key) of what they count: the table holds no address typed, and no client
address, in clear.

The state is in the database, not in the rate limiter's storage: it must be shared by
every process in every deployment (the embedded default keeps rate limits in each
process's memory), survive restarts, and change in the transaction of the sign-in.
"""

import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from conference.accounts.models import SignInThrottle
from conference.extensions import db

FREE_FAILURES = 5
DELAY = timedelta(minutes=1)
DELAY_CAP = timedelta(hours=1)
# A pair's count starts again this long after its first failure.
PAIR_WINDOW = timedelta(hours=24)
ACCOUNT_CAP = 100
ACCOUNT_WINDOW = timedelta(hours=1)
TRUSTED_FOR = timedelta(days=30)


def _key(kind, email, ip=""):
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    message = "\0".join((kind, email, ip or "")).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def wait(email, ip, *, now):
    """Return how long the pair (``email``, ``ip``) must still wait, or ``None``."""
    pair_key, account_key = _key("pair", email, ip), _key("account", email)
    rows = {
        row.key: row
        for row in db.session.scalars(
            sa.select(SignInThrottle).where(SignInThrottle.key.in_([pair_key, account_key]))
        )
    }
    pair, account = rows.get(pair_key), rows.get(account_key)
    waits = []
    if pair is not None and pair.blocked_until is not None and pair.blocked_until > now:
        waits.append(pair.blocked_until - now)
    trusted = pair is not None and pair.succeeded_at and pair.succeeded_at > now - TRUSTED_FOR
    if (
        account is not None
        and account.blocked_until is not None
        and account.blocked_until > now
        and not trusted
    ):
        waits.append(account.blocked_until - now)
    return max(waits) if waits else None


def failed(email, ip, *, now):
    """Count a wrong password for (``email``, ``ip``) and for ``email``. Inside the
    caller's write transaction. Returns the pair's new delay, if this failure set one."""
    failures, _ = _count(_key("pair", email, ip), now, PAIR_WINDOW)
    delay = None
    if failures >= FREE_FAILURES:
        delay = min(DELAY * 2 ** (failures - FREE_FAILURES), DELAY_CAP)
        _block(_key("pair", email, ip), now + delay)
    account_key = _key("account", email)
    failures, started = _count(account_key, now, ACCOUNT_WINDOW)
    if failures >= ACCOUNT_CAP:
        _block(account_key, started + ACCOUNT_WINDOW)
    return delay


def succeeded(email, ip, *, now):
    """Clear the pair's count and remember the success (it lifts the account cap for this
    client address). Inside the caller's write transaction; also drops old rows."""
    table = SignInThrottle.__table__
    values = {
        "key": _key("pair", email, ip),
        "failures": 0,
        "window_started_at": now,
        "blocked_until": None,
        "succeeded_at": now,
        "updated_at": now,
    }
    statement = _insert()(table).values(**values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key], set_={k: v for k, v in values.items() if k != "key"}
        )
    )
    old = SignInThrottle.updated_at < now - TRUSTED_FOR
    db.session.execute(sa.delete(SignInThrottle).where(old))


def _count(key, now, window):
    """Add one failure to ``key``'s window (a new window once it is over), atomically
    with respect to other processes. Returns the failures and when the window began."""
    table = SignInThrottle.__table__
    over = table.c.window_started_at < now - window
    statement = _insert()(table).values(key=key, failures=1, window_started_at=now, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": sa.case((over, 1), else_=table.c.failures + 1),
            "window_started_at": sa.case((over, now), else_=table.c.window_started_at),
            "updated_at": now,
        },
    ).returning(table.c.failures, table.c.window_started_at)
    return db.session.execute(statement).one()


def _block(key, until):
    db.session.execute(
        sa.update(SignInThrottle).where(SignInThrottle.key == key).values(blocked_until=until)
    )


def _insert():
    return postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
