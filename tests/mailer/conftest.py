"""Mail test helpers; the SMTP server fixtures live in tests/conftest.py."""

import pytest

from conference.mailer import outbox, rendering

SAMPLE = "test.sample"


@outbox.renderer(SAMPLE)
def render_sample(row, _rendering):
    """The sample message for the row's recipient, with the calendar of its snapshot."""
    calendar = row.snapshot.get("calendar")
    return rendering.render_email(
        "mailer/test",
        to=row.recipient,
        language=row.language,
        name=row.recipient_name,
        calendar=calendar.encode("utf-8") if calendar else None,
    )


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app whose mail goes to ``smtp_server``, inside an app context."""
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        yield app


@pytest.fixture
def make_email():
    """Return a function that makes the intent of the sample message for a recipient."""

    def _make_email(to="ada@example.org", *, language="en", name="Ada Lovelace", calendar=None):
        return outbox.Intent(
            kind=SAMPLE,
            recipient=to,
            language=language,
            recipient_name=name,
            snapshot={"calendar": calendar.decode("utf-8")} if calendar else {},
        )

    return _make_email
