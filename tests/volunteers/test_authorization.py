"""Every volunteer URL answers every role as the table below says, and a coordinator of
one track never sees another track's volunteers, in any page or export.

The walk is driven by the URL map: a volunteer route added later (an endpoint of a
blueprint whose name starts with ``volunteer``) is walked too, and must be in ``ACCESS``
(who may use it) with the same access declared on its view. URL variables are filled
from the ``site`` fixture (``KNOWN``); for a coordinator, with the ids of their own
track's shift, volunteer, sign-up and role, and then with the other track's.
"""

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter

from conference.access import PUBLIC, Role, access_of, public, roles
from conference.accounts import services as accounts
from conference.content import services as content
from conference.extensions import db
from conference.tokens import new_token, token_hash
from conference.volunteers import services
from conference.volunteers.models import (
    CoordinatorScope,
    Shift,
    ShiftSignup,
    TokenPurpose,
    Volunteer,
    VolunteerRole,
)
from tests.conftest import STAFF_PASSWORD

from .conftest import BEFORE

ORGANIZERS = frozenset({Role.admin, Role.organizer})
COORDINATORS = ORGANIZERS | {Role.coordinator}

# Who may use each volunteer endpoint: the first prefix that matches says (the most
# particular first). A new volunteer blueprint must be added here.
ACCESS = [
    ("volunteers_setup.settings", ORGANIZERS),
    ("volunteers_setup.coordinators", ORGANIZERS),
    ("volunteers_setup.", COORDINATORS),
    ("volunteers_staff.", COORDINATORS),
    ("volunteer_certificate.staff", COORDINATORS),
    ("volunteer_certificate.", PUBLIC),
    ("volunteer_feed.", PUBLIC),
    ("volunteer.", PUBLIC),  # the private link's pages: the token is the key
    ("volunteers.", PUBLIC),
]
# The pages named in the plan, by blueprint: once a blueprint has routes, each of
# its pages here must be there (a renamed page must be renamed here too).
PLANNED = {
    "volunteers": ["volunteers.signup", "volunteers.signed_up", "volunteers.resend_link"],
    "volunteer": [
        "volunteer.manage",
        "volunteer.add_shifts",
        "volunteer.erase",
        "volunteer.guardian",
    ],
    "volunteer_feed": ["volunteer_feed.manage", "volunteer_feed.ics"],
    "volunteer_certificate": ["volunteer_certificate.show", "volunteer_certificate.staff"],
    "volunteers_staff": [
        "volunteers_staff.board",
        "volunteers_staff.shift",
        "volunteers_staff.people",
        "volunteers_staff.person",
        "volunteers_staff.export",
    ],
    "volunteers_setup": [
        "volunteers_setup.index",
        "volunteers_setup.settings",
        "volunteers_setup.coordinators",
    ],
}
PUBLIC_ANSWERS = {200, 302, 303, 304, 400, 404, 405, 410}
# Coordinators, by the track they coordinate.
COORDINATED = {"coordinator-arts": "arts", "coordinator-social": "social"}
WHO = ["anonymous", "admin", "organizer", *COORDINATED, "checkin", "sponsor"]
# The people of each track: their names and addresses are what must not leak.
PEOPLE = {
    "arts": ("Marwan Ghalyoun", "marwan.arts@example.org", "sample-guides-1"),
    "social": ("Suad Tellawi", "suad.social@example.org", "sample-youth-1"),
}
MINOR = ("Rima Atassi", "rima.minor@example.org", "Fadi Atassi", "fadi.guardian@example.org")


def is_volunteer_endpoint(endpoint):
    return endpoint.split(".")[0].startswith("volunteer")


def expected_access(endpoint):
    """Who may use ``endpoint`` by ``ACCESS``, or ``None`` when no prefix matches."""
    return next((who for prefix, who in ACCESS if endpoint.startswith(prefix)), None)


def volunteer_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if is_volunteer_endpoint(r.endpoint)),
        key=lambda r: (r.rule, r.endpoint),
    )


def access_problems(app):
    """Volunteer routes that declare no access, are missing from ``ACCESS``, or declare
    something other than it says."""
    problems = []
    for rule in volunteer_rules(app):
        declared = access_of(app.view_functions[rule.endpoint])
        expected = expected_access(rule.endpoint)
        if declared is None:
            problems.append(f"{rule.endpoint} ({rule.rule}) declares no access")
        elif expected is None:
            problems.append(f"{rule.endpoint} ({rule.rule}) is not in ACCESS: say who may use it")
        elif declared != expected:
            problems.append(f"{rule.endpoint} ({rule.rule}) declares {declared}, not {expected}")
    return problems


# --- The declarations ----------------------------------------------------------------


def test_every_volunteer_route_declares_the_access_the_table_says(make_app):
    app = make_app()

    assert access_problems(app) == []


def test_a_volunteer_route_without_access_or_outside_the_table_is_caught(make_app):
    app = make_app()
    app.add_url_rule("/volunteer/undeclared", "volunteers.undeclared", lambda: "open?")
    app.add_url_rule(
        "/manage/volunteers/new", "volunteer_new.page", public(lambda: "whose?"), methods=["GET"]
    )
    app.add_url_rule(
        "/manage/volunteers/setup/settings-too",
        "volunteers_setup.settings_too",
        roles(Role.coordinator)(lambda: "coordinators?"),
    )

    problems = access_problems(app)

    assert "volunteers.undeclared (/volunteer/undeclared) declares no access" in problems
    assert any(p.startswith("volunteer_new.page") and "not in ACCESS" in p for p in problems)
    assert any(p.startswith("volunteers_setup.settings_too (") for p in problems)


@pytest.mark.parametrize("blueprint", sorted(PLANNED))
def test_the_planned_pages_are_there(make_app, blueprint):
    app = make_app()
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    if not any(e.split(".")[0] == blueprint for e in endpoints):
        pytest.skip(f"no {blueprint} routes on this branch yet (they come with its merge)")

    assert sorted(set(PLANNED[blueprint]) - endpoints) == []


# --- The site the walk runs on ---------------------------------------------------------


def _volunteer(conference, name, email, key, **details):
    shift = db.session.scalar(sa.select(Shift).filter_by(key=key))
    values = {
        "full_name": name,
        "phone": "+1 313 555 0177",
        "languages": ["ar", "en"],
        "age_group": "25_plus",
        "language": "en",
        "tshirt_size": "M",
        "skills": [r.key for r in db.session.scalars(sa.select(VolunteerRole))],
        "sessions": [],
        "guardian_name": None,
        "guardian_email": None,
        "privacy_accepted": True,
        **details,
    }
    return services.sign_up(
        conference, email=email, shift_ids=[shift.id], now=BEFORE, **values
    ).volunteer


@pytest.fixture
def site(make_app, content_data, sample_data):
    """The conference with the sample shifts; a volunteer in the arts track and one in the
    social track, a minor in the social track; staff of each role, a coordinator of each
    of the two tracks. Returns ``(app, known)``: URL values by track, and the tokens."""
    app = make_app()
    walkable(app)
    with app.app_context():
        content.load_content(content_data)
        conference = content.get_conference(content_data["conference"]["slug"])
        content.load_sample_programme(conference, sample_data)
        known = {}
        for track, (name, email, key) in PEOPLE.items():
            volunteer = _volunteer(conference, name, email, key)
            signup = volunteer.current_signups[0]
            known[track] = {
                "volunteer_id": volunteer.id,
                "shift_id": signup.shift_id,
                "signup_id": signup.id,
                "role_id": signup.shift.role_id,
            }
        arts = db.session.get(Volunteer, known["arts"]["volunteer_id"])
        minor = _volunteer(
            conference,
            MINOR[0],
            MINOR[1],
            PEOPLE["social"][2],
            age_group="under_18",
            guardian_name=MINOR[2],
            guardian_email=MINOR[3],
        )
        tokens = {
            "token": services.mint_token(arts),
            "guardian": services.mint_token(minor, TokenPurpose.guardian),
            "feed_token": new_token(),
        }
        arts.feed_token_hash = token_hash(tokens["feed_token"])
        db.session.commit()
        for who in WHO[1:]:
            role = Role.coordinator if who in COORDINATED else Role(who)
            user = accounts.create_user(f"{who}@walk.example", role=role, password=STAFF_PASSWORD)
            if who in COORDINATED:
                db.session.add(CoordinatorScope(user_id=user.id, scope=COORDINATED[who]))
                db.session.commit()
    return app, {**known, "tokens": tokens}


def url_values(rule, values, tokens):
    """Values for ``rule``'s variables: the track's ids, the tokens, else something typical."""
    found = {}
    for name, converter in rule._converters.items():
        if name == "token" and rule.endpoint.endswith("guardian"):
            found[name] = tokens["guardian"]
        elif name in tokens:
            found[name] = tokens[name]
        elif name in values:
            found[name] = values[name]
        elif isinstance(converter, AnyConverter):
            found[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            found[name] = 1
        else:
            found[name] = "x"
    return found


def signed_in_client(app, who):
    client = app.test_client()
    if who != "anonymous":
        response = client.post(
            "/manage/login", data={"email": f"{who}@walk.example", "password": STAFF_PASSWORD}
        )
        assert response.status_code == 302, f"{who} could not sign in"
    return client


def walkable(app):
    rules = volunteer_rules(app)
    if not rules:
        pytest.skip("no volunteer pages on this branch yet: the walk runs after the merges")
    return rules


def role_of(who):
    if who == "anonymous":
        return None
    return Role.coordinator if who in COORDINATED else Role(who)


def body_of(response):
    """The text of a page or a download (an XLSX's sheets and shared strings included)."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "\n".join(
                book.read(n).decode("utf-8", "replace")
                for n in book.namelist()
                if n.endswith(".xml")
            )
    return data.decode("utf-8", "replace")


# --- Every URL, every role -----------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_each_volunteer_url_answers_each_role_as_declared(site, who):
    app, known = site
    rules = walkable(app)
    client = signed_in_client(app, who)
    role = role_of(who)
    values = known[COORDINATED.get(who, "arts")]
    problems = []

    for rule in rules:
        access = expected_access(rule.endpoint)
        path = app.url_map.bind("localhost").build(
            rule.endpoint, url_values(rule, values, known["tokens"])
        )
        if "GET" in rule.methods:
            response = client.get(path)
            response.close()
            status, location = response.status_code, response.headers.get("Location", "")
            if status >= 500:
                problems.append(f"GET {path}: {status}")
            elif access == PUBLIC:
                if status not in PUBLIC_ANSWERS:
                    problems.append(f"GET {path} (public): {status}")
            elif role is None:
                if status != 302 or not location.startswith("/manage/login"):
                    problems.append(f"GET {path}: {status} {location}, not sent to sign in")
            elif role not in access:
                if status != 403:
                    problems.append(f"GET {path}: {status} for {who}, who may not use it")
            elif status in (401, 403, 404):
                problems.append(f"GET {path}: {status} for {who}, who may use it")
        if "POST" in rule.methods and access != PUBLIC and (role is None or role not in access):
            # Refusals only: a POST someone may make would change things.
            response = client.post(path)
            response.close()
            expected = 401 if role is None else 403
            if response.status_code != expected:
                problems.append(f"POST {path}: {response.status_code} for {who}, not {expected}")

    assert problems == []


# --- A coordinator and the other track ------------------------------------------------


def _snapshot():
    """What a refused request must leave as it was: places, shifts, roles, scopes."""
    return (
        db.session.execute(
            sa.select(ShiftSignup.id, ShiftSignup.shift_id, ShiftSignup.status).order_by(
                ShiftSignup.id
            )
        ).all(),
        db.session.execute(
            sa.select(
                Shift.id, Shift.role_id, Shift.starts_at, Shift.max_people, Shift.taken, Shift.place
            ).order_by(Shift.id)
        ).all(),
        db.session.execute(
            sa.select(VolunteerRole.id, VolunteerRole.name, VolunteerRole.track_id).order_by(
                VolunteerRole.id
            )
        ).all(),
        db.session.execute(sa.select(Volunteer.id, Volunteer.status).order_by(Volunteer.id)).all(),
    )


def _leaks(body, track):
    other = "social" if track == "arts" else "arts"
    secrets = list(PEOPLE[other][:2])
    if other == "social":
        secrets += list(MINOR)
    return [secret for secret in secrets if secret in body]


def _ids(rule):
    return {"shift_id", "volunteer_id", "signup_id", "role_id"} & set(rule.arguments)


@pytest.mark.parametrize("who", list(COORDINATED))
def test_a_coordinator_never_sees_the_other_tracks_volunteers(site, who):
    app, known = site
    rules = [
        r
        for r in walkable(app)
        if expected_access(r.endpoint) != PUBLIC and Role.coordinator in expected_access(r.endpoint)
    ]
    track = COORDINATED[who]
    other = "social" if track == "arts" else "arts"
    client = signed_in_client(app, who)
    problems = []
    with app.app_context():
        before = _snapshot()
        db.session.rollback()

    for rule in rules:
        build = app.url_map.bind("localhost").build
        own = build(rule.endpoint, url_values(rule, known[track], known["tokens"]))
        if "GET" in rule.methods:
            response = client.get(own)
            if response.status_code >= 400:
                problems.append(f"GET {own}: {response.status_code} in their own track")
            problems += [f"GET {own} shows {s}" for s in _leaks(body_of(response), track)]
        if not _ids(rule):
            continue
        theirs = build(rule.endpoint, url_values(rule, known[other], known["tokens"]))
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(theirs, method=method)
            if response.status_code not in (403, 404):
                problems.append(f"{method} {theirs}: {response.status_code}, not 403/404")
            problems += [f"{method} {theirs} shows {s}" for s in _leaks(body_of(response), track)]

    assert problems == []
    with app.app_context():
        assert _snapshot() == before, "a refused request changed something"


@pytest.mark.parametrize("who", list(COORDINATED))
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_coordinators_export_holds_only_their_track(site, who, file_format):
    app, known = site
    if "volunteers_staff.export" not in app.view_functions:
        pytest.skip("no volunteer exports on this branch yet: the walk runs after the merges")
    track = COORDINATED[who]
    other = "social" if track == "arts" else "arts"
    client = signed_in_client(app, who)

    def export(shift_id):
        """Post the export's choices; the download is read at once (it is streamed)."""
        response = client.post(
            "/manage/volunteers/export",
            data={"shift": str(shift_id or ""), "file_format": file_format},
        )
        body = body_of(response)
        response.close()
        return response.status_code, body

    every = export(None)
    one = export(known[track]["shift_id"])
    theirs = export(known[other]["shift_id"])

    for status, body in (every, one):
        assert status == 200
        assert PEOPLE[track][0] in body  # the export works: their own people are there
        assert _leaks(body, track) == []
    assert theirs[0] in (400, 403, 404)
    assert _leaks(theirs[1], track) == []
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(every[1].lstrip("\ufeff"))))
        assert any(PEOPLE[track][0] in cell for row in rows for cell in row)
