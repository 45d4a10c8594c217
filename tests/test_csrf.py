"""Every route that changes something refuses a request without a valid CSRF token.

The walk covers every rule that accepts POST, so forms added later are checked too. The
one deliberate exception is the one-click unsubscribe (RFC 8058), which mail clients
POST without any page. Routes whose form checks its own token (the registration form)
answer with the form and an error; either way nothing may change.
"""

import pytest
import sqlalchemy as sa

from conference.accounts.models import User
from conference.audit import AuditEvent
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration.models import Registration

from .manage.test_authorization import rules_of, site, url_values  # noqa: F401 - fixture

# Mail clients send this POST with no page and so no token (List-Unsubscribe-Post).
EXEMPT = {"subscription.unsubscribe"}
TABLES = (Registration, OutboxMessage, User)


def snapshot():
    counts = {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in TABLES
    }
    counts["changed"] = db.session.scalar(sa.select(sa.func.max(Registration.updated_at)))
    return counts


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_state_changing_routes_refuse_requests_without_a_csrf_token(site, who):  # noqa: F811
    app, known = site
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    if who == "admin":  # sign in properly, token and all
        page = client.get("/manage/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post(
            "/manage/login",
            data={
                "csrf_token": token,
                "email": "admin@walk.example",
                "password": "correct horse battery staple",
            },
        )
        assert client.get("/manage/account").status_code == 200
    with app.app_context():
        before = snapshot()
        audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    problems = []

    for rule in rules_of(app):
        if "POST" not in rule.methods or rule.endpoint in EXEMPT:
            continue
        path = app.url_map.bind("localhost").build(rule.endpoint, url_values(rule, known))
        response = client.post(
            path,
            data={"email": "csrf@example.org", "full_name": "X", "tracks": "arts", "privacy": "y"},
        )
        response.close()
        if response.status_code >= 500 or response.status_code in (302, 303):
            problems.append(f"POST {path}: {response.status_code}")

    with app.app_context():
        after = snapshot()
        audit_after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert problems == []
    assert after == before
    assert audit_after == audit_before
