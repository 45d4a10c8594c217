"""Looking after the outbox: every retry, one message or all failed ones, is one UPDATE."""

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer import admin, outbox
from conference.mailer.models import MessageStatus, OutboxMessage


@pytest.fixture
def statements(app):
    """The SQL statements the test runs, as text."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", note)


def _failed(make_email, count):
    rows = [outbox.enqueue(make_email(f"person{n}@example.org")) for n in range(count)]
    db.session.flush()
    for row in rows:
        row.status = MessageStatus.failed
        row.attempts = 10
    db.session.commit()
    return [row.id for row in rows]


def test_retrying_every_failed_message_loads_none_of_them(app, make_email, statements):
    ids = _failed(make_email, 3)
    statements.clear()

    assert admin.retry_all_failed() == 3

    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert reads == []
    assert len(writes) == 1
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()
    assert {(row.status, row.attempts) for row in rows} == {(MessageStatus.pending, 0)}


def test_the_command_and_the_page_share_the_retry_of_every_failed_message(
    app, runner, make_email, monkeypatch
):
    _failed(make_email, 2)
    calls = []
    monkeypatch.setattr(admin, "retry_all_failed", lambda: calls.append(1) or 2)

    result = runner.invoke(args=["outbox", "retry", "--failed"])

    assert result.exit_code == 0, result.output
    assert calls == [1]
    assert "2 message(s) queued again." in result.output


def test_only_a_failed_message_can_be_retried_from_the_page(app, make_email):
    row = outbox.enqueue(make_email())
    db.session.commit()

    with pytest.raises(admin.OutboxError, match="Only a failed message"):
        admin.retry_failed_message(row.id)
    assert admin.retry_message(row.id) == 1  # the command may retry a waiting one now
