"""Every URL of the app answers each role as it declares: a page or a refusal, never a 500.

The walk covers every rule in the URL map, so pages added later are checked too. Each
view declares who may use it (``conference.access``); undeclared views fail here.
Requests run outside any shared app context, so nothing one request caches on ``g``
(the signed-in user, say) leaks into the next.
"""

import copy

import pytest
from flask import request
from werkzeug.routing import AnyConverter, IntegerConverter

from conference.access import PUBLIC, Role, access_of
from conference.accounts import services as accounts
from conference.content import services as content
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration import services as registrations

from .. import policy
from ..conftest import STAFF_PASSWORD

PUBLIC_ANSWERS = {200, 302, 303, 304, 404, 405}
WHO = ["anonymous", *(role.value for role in Role)]


@pytest.fixture
def site(make_app, content_data, sample_data):
    """An app with the conference, a confirmed and a waiting registration, staff of each
    role and some mail; returns ``(app, values)``, the values for URL variables."""
    app = make_app()
    with app.app_context():
        data = copy.deepcopy(content_data)
        next(t for t in data["tracks"] if t["key"] == "arts")["capacity"] = 1
        content.load_content(data)
        conference = content.get_conference(data["conference"]["slug"])
        content.load_sample_programme(conference, sample_data)
        people = [
            registrations.register_attendee(
                conference,
                email=f"walk{n}@example.org",
                full_name="Walk Through",
                track_keys=["arts"],
                language="en",
                privacy_accepted=True,
            ).registration
            for n in range(2)
        ]
        waiting = people[1]
        token = registrations.mint_token(waiting)
        db.session.commit()
        users = {
            role.value: accounts.create_user(
                f"{role.value}@walk.example", role=role, password=STAFF_PASSWORD
            )
            for role in Role
        }
        values = {
            "registration_id": waiting.id,
            "place_id": waiting.places[0].id,
            "user_id": users["organizer"].id,
            "message_id": db.session.scalar(db.select(OutboxMessage.id).limit(1)),
            "token": token,
            "code": waiting.checkin_code or "en",
            "track_key": "arts",
            "session_key": conference.sessions[0].key,
            "service": "google",
        }
    return app, values


def url_values(rule, known):
    """Plausible values for ``rule``'s variables: known objects, else something typical."""
    values = {}
    for name, converter in rule._converters.items():
        if name in known and known[name] is not None:
            values[name] = known[name]
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "x"
    return values


def rules_of(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )


def signed_in_client(app, who):
    client = app.test_client()
    if who != "anonymous":
        response = client.post(
            "/manage/login", data={"email": f"{who}@walk.example", "password": STAFF_PASSWORD}
        )
        assert response.status_code == 302, f"{who} could not sign in"
    return client


def test_every_page_declares_who_may_use_it(make_app):
    app = make_app()

    views = app.view_functions
    undeclared = [r.endpoint for r in rules_of(app) if access_of(views[r.endpoint]) is None]

    assert undeclared == [], "deny by default: decorate these with @public or @roles(...)"


def test_access_is_enforced(make_app):
    app = make_app()

    checks = [f.__name__ for f in app.before_request_funcs.get(None, [])]

    assert "enforce_access" in checks, "create_app must call access.init_app(app)"


@pytest.mark.parametrize("who", WHO)
def test_each_url_answers_each_role_as_declared(site, who):
    app, known = site
    client = signed_in_client(app, who)
    role = None if who == "anonymous" else Role(who)
    problems = []

    for rule in rules_of(app):
        access = access_of(app.view_functions[rule.endpoint])
        path = app.url_map.bind("localhost").build(rule.endpoint, url_values(rule, known))
        if "GET" in rule.methods:
            response = client.get(path)
            response.close()  # files sent (the favicon) are closed
            status = response.status_code
            location = response.headers.get("Location", "")
            if status >= 500:
                problems.append(f"GET {path}: {status}")
            elif access == PUBLIC:
                if status not in PUBLIC_ANSWERS:
                    problems.append(f"GET {path} (public): {status}")
            elif access is None:
                problems.append(f"GET {path}: declares no access")
            elif role is None:
                if status != 302 or not location.startswith("/manage/login"):
                    problems.append(f"GET {path}: {status} {location}, not sent to sign in")
            elif role not in access:
                if status != 403:
                    problems.append(f"GET {path}: {status} for {who}, who may not use it")
            elif status in (401, 403):
                problems.append(f"GET {path}: {status} for {who}, who may use it")
        elif access not in (PUBLIC, None) and (role is None or role not in access):
            # Refusals only: a POST someone may make would change things.
            response = client.post(path)
            response.close()
            status = response.status_code
            expected = 401 if role is None else 403
            if status != expected:
                problems.append(f"POST {path}: {status} for {who}, expected {expected}")

    assert problems == []


# --- The policy table (tests/policy.py) against the code --------------------------------

PROBE = "X-Policy-Probe"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def routes_of(app):
    """Every ``(endpoint, method)`` the URL map serves, static files aside."""
    return {
        (rule.endpoint, method)
        for rule in rules_of(app)
        for method in sorted(rule.methods & METHODS)
    }


def test_every_route_is_in_the_policy_table(make_app):
    app = make_app()

    routes = routes_of(app)

    assert sorted(routes - policy.POLICY.keys()) == [], "add these routes to tests/policy.py"
    assert sorted(policy.POLICY.keys() - routes) == [], "these routes no longer exist"


@pytest.fixture
def probed(make_app):
    """An app whose requests marked ``X-Policy-Probe`` stop just after the access check,
    so that every route and method (POSTs included) can be tried by every role without
    changing anything; staff of each role exist."""
    app = make_app()

    @app.before_request
    def probe():  # runs after conference.access's check, registered before it
        if PROBE in request.headers:
            return "reached", 299

    with app.app_context():
        for role in Role:
            accounts.create_user(f"{role.value}@walk.example", role=role, password=STAFF_PASSWORD)
    return app


@pytest.mark.parametrize("who", WHO)
def test_every_route_admits_exactly_the_roles_of_the_policy(probed, who):
    client = signed_in_client(probed, who)
    role = None if who == "anonymous" else Role(who)
    problems = []

    for rule in rules_of(probed):
        path = probed.url_map.bind("localhost").build(rule.endpoint, url_values(rule, {}))
        for method in sorted(rule.methods & METHODS):
            allowed = policy.POLICY.get((rule.endpoint, method))
            if allowed is None:
                continue  # test_every_route_is_in_the_policy_table names it
            response = client.open(path, method=method, headers={PROBE: "1"})
            response.close()
            reached = response.status_code == 299
            should = allowed == policy.PUBLIC or role in allowed
            if reached != should:
                problems.append(
                    f"{method} {rule.rule}: {response.status_code} for {who}, "
                    f"policy says {'allowed' if should else 'refused'}"
                )
            elif not should and role is not None and response.status_code != 403:
                problems.append(f"{method} {rule.rule}: {response.status_code} for {who}")

    assert problems == []
