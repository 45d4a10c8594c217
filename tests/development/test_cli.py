"""``make run``'s helpers: ``flask dev prepare``, the demo organizer's password, one log line
per request."""

import logging

import pytest
import sqlalchemy as sa

from conference import create_app
from conference.accounts import services as accounts
from conference.applog import ServerRequestLines
from conference.audit import AuditEvent
from conference.development import cli as development
from conference.extensions import db

from ..conftest import TEST_CONFIG


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file that no test created tables in: what a fresh clone has."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_migration_head_is_read_from_the_files():
    heads = development.migration_heads()

    assert len(heads) == 1
    [head] = heads
    assert (development.MIGRATIONS / f"{head}.py").exists()


def test_prepare_does_everything_once_then_nothing(file_app, monkeypatch):
    runner = file_app.test_cli_runner()

    first = runner.invoke(args=["dev", "prepare"])

    assert first.exit_code == 0, first.output
    assert "Database: upgraded." in first.output
    assert "Conference content: loaded." in first.output
    assert "Sample programme: loaded." in first.output
    assert "Demo organizer created." in first.output
    assert "reset-password organizer@example.org" in first.output
    password = first.output.split("password: ")[1].split()[0]
    with file_app.app_context():
        assert accounts.authenticate("organizer@example.org", password).role.value == "organizer"
        db.session.commit()

    import flask_migrate

    monkeypatch.setattr(flask_migrate, "upgrade", lambda *a, **k: pytest.fail("Alembic ran"))
    second = runner.invoke(args=["dev", "prepare"])

    assert second.exit_code == 0, second.output
    assert "Database: up to date." in second.output
    assert "Conference content: already up to date." in second.output
    assert "Sample programme: already up to date." in second.output
    assert "no demo organizer created" in second.output
    assert "reset-password organizer@example.org --generate" in second.output


def test_reset_password_gives_a_new_one_and_ends_sessions(runner, make_user):
    user = make_user("organizer")
    token = accounts.sessions.start(user)
    db.session.commit()
    assert accounts.sessions.load(token).id == user.id

    result = runner.invoke(args=["users", "reset-password", user.email, "--generate"])

    assert result.exit_code == 0, result.output
    password = result.output.split(": ")[1].split()[0]
    assert accounts.sessions.load(token) is None
    assert accounts.authenticate(user.email, password).id == user.id
    db.session.commit()
    event = db.session.scalar(
        sa.select(AuditEvent).filter_by(action="user.password_set").order_by(AuditEvent.id.desc())
    )
    assert event.details["user"] == user.email
    assert event.details["via"] == "command line"


def test_reset_password_asks_when_not_generated_and_keeps_the_rules(runner, make_user):
    user = make_user("organizer")

    short = runner.invoke(args=["users", "reset-password", user.email], input="short\nshort\n")
    chosen = runner.invoke(
        args=["users", "reset-password", user.email],
        input="a new long passphrase\na new long passphrase\n",
    )
    unknown = runner.invoke(args=["users", "reset-password", "nobody@example.org", "--generate"])

    assert short.exit_code != 0
    assert "at least" in short.output
    assert chosen.exit_code == 0, chosen.output
    assert "a new long passphrase" not in chosen.output
    assert accounts.authenticate(user.email, "a new long passphrase").id == user.id
    assert unknown.exit_code != 0
    assert "no account" in unknown.output


def test_the_development_server_s_request_line_is_dropped_and_its_other_lines_kept():
    werkzeug = logging.getLogger("werkzeug")
    request_line = werkzeug.makeRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - [02/Dec/2026 11:43:23] "%s" %s %s',
        ("GET / HTTP/1.1", "200", "-"),
        None,
    )
    running = werkzeug.makeRecord(
        "werkzeug", logging.INFO, __file__, 1, " * Running on http://127.0.0.1:8000", (), None
    )
    error = werkzeug.makeRecord(
        "werkzeug",
        logging.ERROR,
        __file__,
        1,
        '127.0.0.1 - - [x] "%s" %s %s',
        ("a", "b", "c"),
        None,
    )
    one_line = ServerRequestLines()

    assert one_line.filter(request_line) is False
    assert one_line.filter(running) is True
    assert one_line.filter(error) is True


def test_dev_run_prepares_then_serves_the_same_app_with_flask_run_s_options(file_app, monkeypatch):
    import flask.cli

    served = {}

    def run_simple(host, port, app, **options):
        served.update(host=host, port=port, app=app, **options)
        served["filters"] = list(logging.getLogger("werkzeug").filters)

    monkeypatch.setattr(flask.cli, "run_simple", run_simple)
    runner = file_app.test_cli_runner()

    result = runner.invoke(args=["dev", "run", "--host", "127.0.0.1", "--port", "8000"])

    assert result.exit_code == 0, result.output
    assert "Database: upgraded." in result.output
    assert served["port"] == 8000
    assert served["host"] == "127.0.0.1"
    assert served["app"] is file_app
    # One log line per request while it serves (ours); the server's own lines come back after.
    assert any(isinstance(f, ServerRequestLines) for f in served["filters"])
    assert not any(isinstance(f, ServerRequestLines) for f in logging.getLogger("werkzeug").filters)
