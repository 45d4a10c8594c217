"""Mail test helpers; the SMTP server fixtures live in tests/conftest.py."""

import pytest

from conference.mailer import rendering


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app whose mail goes to ``smtp_server``, inside an app context."""
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        yield app


@pytest.fixture
def make_email():
    """Return a function that renders the sample message for a recipient."""

    def _make_email(to="ada@example.org", *, language="en", name="Ada Lovelace", calendar=None):
        return rendering.render_email(
            "mailer/test", to=to, language=language, name=name, calendar=calendar
        )

    return _make_email
