"""Engine settings that make each database behave well under several processes."""

from sqlalchemy import event, text

from conference.extensions import db


def init_app(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run while one writer writes; busy_timeout makes a second writer
    # wait for the lock instead of failing at once; SQLite ignores foreign keys unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    if not _is_memory(dbapi_connection):
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _is_memory(dbapi_connection):
    row = dbapi_connection.execute("PRAGMA database_list").fetchone()
    return not row[2]


def ping():
    """Return ``True`` when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"; the caller reports it
        db.session.rollback()
        return False
