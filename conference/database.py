"""Engine settings that make each database behave well under several processes.

SQLite: WAL (readers run while one writer writes), a busy timeout (a second writer waits
instead of failing), foreign keys on, and transactions begun by SQLAlchemy itself rather
than by the sqlite3 module, so that ``begin_write()`` can ask for ``BEGIN IMMEDIATE``:
a transaction that reads and then writes must hold the write lock from its first read,
or a concurrent writer makes it fail instead of wait.

PostgreSQL: a pooled connection the server closed while it sat idle (a restart, a
failover, a proxy's timeout) is replaced as it leaves the pool, before a request uses it
(``_replace_if_closed``), without the round trip SQLAlchemy's ``pool_pre_ping`` costs.
"""

import contextlib
import logging
import select
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event, text

from conference.extensions import db
from conference.text import fold

log = logging.getLogger(__name__)

IMMEDIATE = "sqlite_begin_immediate"


def folded(column, length):
    """A column default: ``text.fold`` of the row's ``column``, cut to ``length``.

    A searched name's folded copy is kept by the application on every insert, ORM or
    Core alike, because the rule (Arabic letter variants, accents, case) is Python's.
    """

    def default(context):
        return fold(context.get_current_parameters().get(column))[:length]

    return default


def init_app(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        elif engine.dialect.driver == "psycopg":
            event.listen(engine, "checkout", _replace_if_closed)


def _replace_if_closed(dbapi_connection, _record, _proxy):
    """Give up a pooled connection the server has closed; the pool then opens a new one.

    A server that stops or restarts (or ends an idle session, or a proxy that drops one)
    sends its goodbye, a FATAL message and the end of the stream: an idle connection's
    socket then has something to read. Nothing else writes to an idle connection of this
    app (it never LISTENs), so a connection with anything to read is given up
    (``DisconnectionError`` tells SQLAlchemy's pool to replace it and check out again):
    at worst a new connection, never an error for the visitor. Nothing is sent: the
    ``SELECT 1`` of ``pool_pre_ping`` was a round trip per request, and found no more
    (a network that drops silently makes it hang, not fail).
    """
    from psycopg.pq import ConnStatus

    connection = dbapi_connection.pgconn
    if connection.status != ConnStatus.OK or _has_input(connection.socket):
        raise sa.exc.DisconnectionError("the database closed the connection while it was idle")


def _has_input(socket):
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(0))  # an error or a hang-up counts too


def _sqlite_connect(dbapi_connection, _record):
    # Take transaction control away from the sqlite3 module (it would BEGIN on its own,
    # too late and always DEFERRED); _sqlite_begin emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    if not _is_memory(dbapi_connection):
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection):
    immediate = connection.get_execution_options().get(IMMEDIATE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _is_memory(dbapi_connection):
    row = dbapi_connection.execute("PRAGMA database_list").fetchone()
    return not row[2]


def begin_write():
    """Start the session's transaction as a writer (SQLite: ``BEGIN IMMEDIATE``).

    Call it where a transaction that reads and then writes rows others may write at the
    same time begins. A read-only transaction already open (a view that looked the
    conference up, say) is ended first; one with unsaved changes is a programming
    error. On PostgreSQL the transaction begins as usual: use row locks there.
    """
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come first in its transaction: commit before it")
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})


@contextlib.contextmanager
def keeping_loaded():
    """Commit inside this block without expiring what the session has loaded.

    For a request that only adds a row (an audit event) and then goes on showing what it
    read: a plain commit would make every loaded object (the signed-in user, the
    conference, its tracks) be read again on its next use. Nothing inside may depend
    on those objects being fresh.
    """
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = expire


class Heartbeat(db.Model):
    """One row that the health check writes: proof that the database takes a write."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    beat_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime)


# One statement on both engines; the row is created by the first check.
BEAT = text(
    "INSERT INTO heartbeat (id, beat_at) VALUES (1, :now)"
    " ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at"
)


def can_write():
    """Return ``True`` when the database commits a write, as a registration needs.

    A query alone said "healthy" while every write failed (a full disk, a read-only
    replica, a locked SQLite file). This writes and commits one row, in a transaction
    of its own that holds its lock for a single statement, so any number of processes
    may check at once.
    """
    try:
        begin_write()
        db.session.execute(BEAT, {"now": datetime.now(UTC).replace(tzinfo=None)})
        db.session.commit()
        return True
    except Exception as error:  # any failure means "cannot take a registration"
        log.warning("health check: the database refused a write (%s)", error.__class__.__name__)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool replaces it
            pass
        return False
