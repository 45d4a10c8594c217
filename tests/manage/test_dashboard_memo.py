"""The dashboard's rendered HTML is kept per process by everything it shows: the next
request with the same figures answers it without rendering, with its own CSRF token; a
change anywhere shows at once, and one person's page never reaches another."""

import re

import sqlalchemy as sa

from conference.content.models import Conference, Track
from conference.manage import staff_views
from conference.memo import CSRF_SLOT

from ..conftest import STAFF_PASSWORD, Renders, as_a_new_request
from ..registration.test_page_memo import elsewhere


def text(response):
    return response.get_data(as_text=True)


def csrf_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def without_tokens(html):
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def sign_in(client, email):
    response = client.post("/manage/login", data={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 302


def test_the_same_figures_are_answered_without_rendering(app, client, login_as, conference):
    login_as("organizer")
    staff_views.DASHBOARD_MEMO.clear()

    with Renders(app, "manage/dashboard.html") as renders:
        first = text(client.get("/manage/dashboard"))
        second = text(client.get("/manage/dashboard"))

    assert renders.count == 1
    assert without_tokens(first) == without_tokens(second)
    assert CSRF_SLOT not in second


def test_a_kept_page_carries_the_token_of_the_session_it_answers(
    app, make_app, client, login_as, conference
):
    user = login_as("organizer")
    other_browser = app.test_client()
    sign_in(other_browser, user.email)
    staff_views.DASHBOARD_MEMO.clear()
    client.get("/manage/dashboard")  # kept, rendered with this browser's token
    app.config["WTF_CSRF_ENABLED"] = True
    as_a_new_request()

    with Renders(app, "manage/dashboard.html") as renders:
        page = text(other_browser.get("/manage/dashboard"))
    response = other_browser.post("/manage/logout", data={"csrf_token": csrf_token(page)})

    assert renders.count == 0  # the kept page
    assert response.status_code == 302
    assert other_browser.get("/manage/dashboard").status_code == 302  # signed out
    assert client.get("/manage/dashboard").status_code == 200  # the first browser stays


def test_an_organizer_s_page_never_reaches_a_coordinator(app, client, login_as, conference):
    organizer = login_as("organizer", name="Organizer Person")
    organizer_page = text(client.get("/manage/dashboard"))
    coordinator_browser = app.test_client()
    coordinator = login_as("coordinator", name="Coordinator Person")
    sign_in(coordinator_browser, coordinator.email)

    page = text(coordinator_browser.get("/manage/dashboard"))

    assert organizer.email != coordinator.email
    assert 'href="/manage/attendees"' in organizer_page
    assert 'href="/manage/attendees"' not in page
    assert "Coordinator Person" in page
    assert "Organizer Person" not in page


def test_a_change_made_in_the_database_shows_on_the_next_request(client, login_as, conference):
    login_as("organizer")
    assert "For Syria" in text(client.get("/manage/dashboard"))

    elsewhere(
        sa.update(Track)
        .where(Track.conference_id == conference.id, Track.key == "arts")
        .values(capacity=7)
    )
    elsewhere(
        sa.update(Conference)
        .where(Conference.id == conference.id)
        .values(name={"en": "Renamed Gathering", "ar": "لقاء جديد"})
    )
    html = text(client.get("/manage/dashboard"))

    assert "Renamed Gathering" in html
    assert re.search(r"<bdi>Arts</bdi>.*?capacity__figures\">[^<]*\b7\b", html, re.S)


def test_a_message_to_show_once_is_shown_once(client, login_as, conference):
    login_as("organizer")
    client.get("/manage/dashboard")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved just now.")]

    once = text(client.get("/manage/dashboard"))
    after = text(client.get("/manage/dashboard"))

    assert "Saved just now." in once
    assert "Saved just now." not in after


def test_each_language_has_its_own_page(client, login_as, conference):
    login_as("organizer")

    english = text(client.get("/manage/dashboard"))
    arabic = text(client.get("/manage/dashboard", headers={"Accept-Language": "ar"}))

    assert 'dir="ltr"' in english
    assert 'dir="rtl"' in arabic
