import select
import sqlite3
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from conference import create_app, database
from conference.extensions import db

from .conftest import TEST_CONFIG, postgres_url


def test_begin_write_takes_the_sqlite_write_lock_at_once(tmp_path):
    path = tmp_path / "lock.db"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()

        database.begin_write()
        db.session.execute(text("SELECT count(*) FROM t"))  # only a read so far
        other = sqlite3.connect(path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")  # free again once the transaction ends
        other.rollback()
        other.close()
        db.engine.dispose()


def test_begin_write_refuses_to_start_after_unsaved_changes(app):
    from conference.content.models import Conference

    db.session.add(Conference(slug="x"))

    with pytest.raises(RuntimeError, match="must come first"):
        database.begin_write()


def test_keeping_loaded_commits_without_expiring_what_was_read(conference):
    from sqlalchemy import inspect

    from conference.audit import AuditEvent

    assert conference.name  # loaded
    with database.keeping_loaded():
        database.begin_write()
        db.session.add(AuditEvent(at=datetime(2026, 1, 1), actor_email="system", action="t"))
        db.session.commit()
    assert not inspect(conference).expired_attributes  # nothing to read again
    assert db.session.scalar(text("SELECT count(*) FROM audit_event WHERE action = 't'")) == 1

    db.session.commit()  # outside the block, commits expire again
    assert "name" in inspect(conference).expired_attributes


def test_sqlite_files_use_wal_and_foreign_keys(tmp_path):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.db'}"})
    with app.app_context():
        journal = db.session.execute(text("PRAGMA journal_mode")).scalar()
        keys = db.session.execute(text("PRAGMA foreign_keys")).scalar()
        db.session.rollback()
        db.engine.dispose()

    assert journal == "wal"
    assert keys == 1


# ---------------------------------------------------------------------------------------
# PostgreSQL: pooled connections the server closed are replaced before anyone uses them


@pytest.fixture
def on_postgres():
    """The app on PostgreSQL, in an app context; and a second connection to act as the server."""
    url = postgres_url()
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        engine = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as server:
                yield server
        finally:
            engine.dispose()
            db.session.remove()
            db.engine.dispose()


def pooled_backend():
    """The server process behind the pool's connection, as a request would use it."""
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    socket = db.session.connection().connection.dbapi_connection.pgconn.socket
    db.session.commit()  # back to the pool
    return pid, socket


def wait_for_input(socket):
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    assert poller.poll(5000), "nothing came from the server"


def test_a_connection_the_server_closed_while_idle_is_replaced_unseen(on_postgres):
    server = on_postgres
    pid, socket = pooled_backend()

    server.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})  # as a restart does
    wait_for_input(socket)

    assert pooled_backend()[0] != pid  # a new connection, and no error on the way


def test_a_connection_nobody_closed_is_used_again(on_postgres):
    first, _ = pooled_backend()

    assert [pooled_backend()[0] for _ in range(3)] == [first] * 3
