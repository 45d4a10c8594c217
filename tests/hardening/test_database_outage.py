"""The database goes away for a moment: visitors get a clear 503 page in their language,
nothing is half-written, and the site comes back by itself when the database does.

The app talks to PostgreSQL through a TCP proxy the test controls (``tcpproxy``), so the
connections really break, at a moment or at an exact point of a registration, as when
PostgreSQL restarts or the network between the two drops.
"""

import copy
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from conference.accounts import services as accounts
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration.models import ManageToken, Place, Registration

from ..conftest import STAFF_PASSWORD as PASSWORD
from ..conftest import drop_postgres_schema, postgres_url
from .tcpproxy import TCPProxy

pytestmark = pytest.mark.postgres

NOTHING = {"registrations": 0, "places": 0, "links": 0, "emails": 0, "seats_taken": 0}
# One registration for two tracks: its seats and its confirmation (whose private link is
# minted when the deliverer renders it, not in the registration's transaction).
COMPLETE = {"registrations": 1, "places": 2, "links": 0, "emails": 1, "seats_taken": 2}


@pytest.fixture(scope="module", params=["postgresql"])
def database_url():
    """PostgreSQL only (replaces conftest's): an in-memory SQLite has no connection to cut."""
    yield postgres_url()
    drop_postgres_schema()


@pytest.fixture
def proxy(database_url):
    upstream = make_url(database_url)
    with TCPProxy((upstream.host or "localhost", upstream.port or 5432)) as proxy:
        yield proxy


@pytest.fixture
def site(proxy, make_app, database_url, content_data):
    """The app, connected to PostgreSQL through ``proxy``, with the conference loaded.

    ``proxy`` is set up before ``make_app``, so it is torn down after make_app has
    dropped the tables through it.
    """
    url = make_url(database_url).set(host=proxy.host, port=proxy.port)
    # In clear text, so that the proxy can find the statements it cuts at.
    url = url.update_query_dict({"sslmode": "disable"})
    app = make_app(SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False))
    with app.app_context():
        content.load_content(copy.deepcopy(content_data))
    yield app
    proxy.restore()


@pytest.fixture
def stored(database_url):
    """Return a function that counts what registering left, read straight from PostgreSQL."""
    engine = sa.create_engine(database_url)

    def count(model):
        return sa.select(sa.func.count()).select_from(model)

    def _stored():
        with engine.connect() as connection:
            return {
                "registrations": connection.scalar(count(Registration)),
                "places": connection.scalar(count(Place)),
                "links": connection.scalar(count(ManageToken)),
                "emails": connection.scalar(count(OutboxMessage)),
                "seats_taken": connection.scalar(sa.select(sa.func.sum(Track.seats_taken))),
            }

    yield _stored
    engine.dispose()


def answers(email="layla@example.org", submission_id="submission-0000000000000001"):
    """The registration form, filled in as a visitor would."""
    return {
        "full_name": "Layla Haddad",
        "email": email,
        "phone": "+1 202 555 0143",
        "city": "Houston",
        "region": "Texas",
        "language": "en",
        "tracks": ["cultural", "arts"],
        "privacy": "y",
        "submission_id": submission_id,
    }


def fill_in_form(client, email="layla@example.org"):
    """Open the form and fill it in; sending it twice sends the same submission id."""
    response = client.get("/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    submission_id = re.search(r'name="submission_id" type="hidden" value="([^"]+)"', html)[1]
    return answers(email, submission_id)


def registers(response):
    return response.status_code == 303 and response.headers["Location"] == "/register/done"


# ---------------------------------------------------------------------------------------
# While the database is away


UNAVAILABLE = {  # direction, title, the start of the explanation
    "en": ("ltr", "Temporarily unavailable", "The site is briefly unavailable."),
    "ar": ("rtl", "الموقع غير متاح مؤقتًا", "الموقع غير متاح للحظات."),
}


def assert_unavailable_page(response, language):
    direction, title, explanation = UNAVAILABLE[language]
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert f"<h1>{title}</h1>" in html
    assert explanation in html
    assert "Traceback" not in html
    assert "OperationalError" not in html


def browser_in_english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def browser_in_arabic(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ar"


def arabic_chosen_on_the_site(client):
    browser_in_english(client)
    assert client.get("/language/ar?next=/").status_code == 303


@pytest.mark.parametrize(
    ("visitor", "language"),
    [(browser_in_english, "en"), (browser_in_arabic, "ar"), (arabic_chosen_on_the_site, "ar")],
    ids=["english", "arabic-browser", "arabic-chosen"],
)
def test_pages_and_the_form_get_a_503_page_in_the_visitors_language(
    site, proxy, stored, visitor, language
):
    client = site.test_client()
    visitor(client)
    proxy.cut()

    responses = [
        client.get("/"),
        client.get("/register"),
        client.post("/register", data=answers()),
    ]

    for response in responses:
        assert_unavailable_page(response, language)
    proxy.restore()
    assert stored() == NOTHING


def test_signed_in_staff_get_the_same_503_page(site, proxy):
    # The error page must not load the signed-in user (Flask-Login does, for templates).
    with site.app_context():
        accounts.create_user("organizer@forsyria.example", role="organizer", password=PASSWORD)
    client = site.test_client()
    browser_in_arabic(client)
    signed_in = client.post(
        "/manage/login", data={"email": "organizer@forsyria.example", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    proxy.cut()

    responses = [client.get("/manage/"), client.get("/")]

    for response in responses:
        assert_unavailable_page(response, "ar")


# ---------------------------------------------------------------------------------------
# Cut in the middle of registering


@pytest.mark.parametrize(
    ("marker", "deliver", "saved"),
    [
        (b"INSERT INTO place ", False, NOTHING),  # the registration row was sent, not its seats
        (b"INSERT INTO outbox_message ", False, NOTHING),  # seats sent, not the email
        (b"COMMIT", False, NOTHING),  # everything sent but the commit
        (b"COMMIT", True, COMPLETE),  # committed, but the answer never came back
    ],
    ids=["before-places", "before-email", "before-commit", "answer-to-commit-lost"],
)
def test_a_registration_cut_off_halfway_is_saved_whole_or_not_at_all(
    site, proxy, stored, marker, deliver, saved
):
    client = site.test_client()
    form = fill_in_form(client)  # connected before the trouble starts
    with site.app_context():
        engine = db.engine

    def cut_once_registering_starts(connection, cursor, statement, *args):
        # Armed as the registration's own transaction starts writing: the next COMMIT on
        # the wire is the one that would save it (an earlier one ends a read).
        if statement.startswith("INSERT INTO registration "):
            proxy.cut_at(marker, deliver=deliver)

    event.listen(engine, "before_cursor_execute", cut_once_registering_starts)
    response = client.post("/register", data=form)
    event.remove(engine, "before_cursor_execute", cut_once_registering_starts)

    assert proxy.is_cut  # the cut came where it was asked for
    assert response.status_code == 503
    proxy.restore()
    assert stored() == saved

    again = client.post("/register", data=form)  # the visitor sends the form again

    assert registers(again)
    assert stored() == COMPLETE


# ---------------------------------------------------------------------------------------
# Coming back


def test_the_site_comes_back_by_itself_when_the_database_does(site, proxy, stored):
    client = site.test_client()
    assert client.get("/").status_code == 200
    proxy.cut()
    assert client.get("/").status_code == 503

    proxy.restore()

    assert client.get("/").status_code == 200
    assert client.get("/healthz").json == {"status": "ok", "database": True}
    assert registers(client.post("/register", data=fill_in_form(client)))
    assert stored() == COMPLETE


def test_connections_broken_while_idle_are_replaced_before_anyone_sees_them(site, proxy):
    # Nobody asked anything during the outage, so the pool still holds connections that
    # are dead: the pool finds out (database._replace_if_closed) before a request uses one.
    client = site.test_client()
    assert client.get("/").status_code == 200
    assert registers(client.post("/register", data=fill_in_form(client, "first@example.org")))
    form = fill_in_form(client, "second@example.org")
    proxy.cut()
    proxy.restore()

    first = client.get("/")
    second = client.post("/register", data=form)

    assert first.status_code == 200
    assert registers(second)
