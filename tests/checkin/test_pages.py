"""Check-in: the desk's pages, who may use them, and what they cost."""

import re

import pytest

from conference.audit import AuditEvent
from conference.checkin import queries
from conference.checkin import services as checkin
from conference.extensions import db
from conference.registration import services
from conference.registration.models import Registration

from ..conftest import STAFF_PASSWORD

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def text(response):
    return response.get_data(as_text=True)


def search(client, query):
    """Search at the desk as its form does: a POST, so nothing typed enters a URL."""
    return client.post("/manage/checkin", data={"q": query})


def mark(client, registration, back="/manage/checkin"):
    return client.post(f"/manage/checkin/{registration.id}", data={"back": back})


# ---------------------------------------------------------------------------------------
# The pages


def test_check_in_from_the_qr_code_page(client, login_as, make_registration):
    registration = make_registration(
        full_name="Ada Lovelace", tracks=["arts", "social"], phone="+1 555 0100"
    )
    staff = login_as("checkin", name="Sam")
    path = f"/manage/checkin/c/{registration.checkin_code}"

    page = client.get(path)
    html = text(page)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Ada Lovelace" in html
    assert "Arts" in html
    assert "Social" in html
    assert f'action="/manage/checkin/{registration.id}"' in html
    # Check-in staff see the name, tracks and state: no address, phone or needs.
    assert registration.email not in html
    assert "555" not in html

    response = mark(client, registration, back=path)
    assert response.status_code == 302
    assert response.headers["Location"] == path
    done = text(client.get(path))

    assert 'data-checkin-result="first"' in done
    assert "Undo this check-in" in done
    assert registration.checked_in_at is not None
    assert registration.checked_in_by_id == staff.id

    # Opening the code again (the same ticket shown twice): a duplicate, clearly.
    again = text(client.get(path))
    assert 'data-checkin-result="duplicate"' in again
    assert "Duplicate: already checked in" in again
    assert "by <bdi>Sam</bdi>." in again
    assert "Check in<span" not in again


def test_a_second_tap_is_a_duplicate_and_keeps_the_first_time(client, login_as, make_registration):
    registration = make_registration()
    login_as("checkin")

    mark(client, registration)
    first_time = registration.checked_in_at
    mark(client, registration)
    page = text(client.get("/manage/checkin"))

    assert 'data-checkin-result="duplicate"' in page
    assert "Already checked in at" in page
    db.session.refresh(registration)
    assert registration.checked_in_at == first_time


def test_names_are_escaped(client, login_as, make_registration):
    registration = make_registration(full_name="<b>Ada</b>")
    login_as("checkin", name="<i>Sam</i>")
    mark(client, registration)
    path = f"/manage/checkin/c/{registration.checkin_code}"

    html = text(client.get(path))

    assert "&lt;b&gt;Ada&lt;/b&gt;" in html
    assert "<bdi>&lt;i&gt;Sam&lt;/i&gt;</bdi>" in html
    assert "<b>Ada" not in html
    assert "<i>Sam" not in html


def test_check_in_from_a_search(client, login_as, make_registration):
    ada = make_registration(full_name="Ada Lovelace", email="ada@example.org")
    make_registration(full_name="Grace Hopper")
    login_as("checkin")

    page = search(client, "LOVEL")
    html = text(page)
    assert page.status_code == 200
    assert "Ada Lovelace" in html
    assert "Grace Hopper" not in html
    assert "a•••@example.org" in html
    assert "ada@example.org" not in html

    response = mark(client, ada)
    assert response.headers["Location"] == "/manage/checkin"
    result = text(client.get("/manage/checkin"))
    assert 'data-checkin-result="first"' in result
    assert "Ada Lovelace" in result
    # Shown once: reloading the page does not show the outcome again.
    assert "data-checkin-result" not in text(client.get("/manage/checkin"))
    listed = text(search(client, "ada"))
    assert "Checked in at" in listed


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_checked_in_state_reads_as_one_sentence_beside_its_icon(
    client, login_as, make_registration, language
):
    """In the flex row of the state, the sentence is one block: its pieces (the time, the
    staff member's name) never become columns of their own, breaking inside words."""
    ada = make_registration(full_name="Ada Lovelace")
    login_as("checkin", name="Sam Staff")
    mark(client, ada)
    client.set_cookie(client.application.config["LANGUAGE_COOKIE"], language)
    html = text(search(client, "Ada"))
    [state] = re.findall(r'<p class="checkin-state checkin-state--done">(.*?)</p>', html, re.S)
    _icon, sentence = re.match(
        r'\s*(<span class="checkin-state__icon"[^>]*>✓</span>)\s*'
        r'<span class="checkin-state__text">(.*)</span>\s*$',
        state,
        re.S,
    ).groups()
    words = re.sub(r"<[^>]+>", "", sentence)
    assert "Sam Staff" in words
    assert re.search(r"\d{1,2}:\d{2}", words)  # the time, inside the same block
    assert ("Checked in at" in words) == (language == "en")


def test_a_long_list_says_it_is_cut_short(client, login_as, make_registration):
    for n in range(checkin.SEARCH_LIMIT + 1):
        make_registration(full_name=f"Hana {n}")
    login_as("checkin")

    html = text(search(client, "hana"))

    assert html.count('class="checkin-person"') == checkin.SEARCH_LIMIT
    assert "Only the first 20 people are shown." in html


@pytest.mark.parametrize("how", ["name", "code", "link"])
def test_search_finds_people_by_name_or_code(client, login_as, make_registration, how):
    registration = make_registration(full_name="محمد الحلبي", email="mo@example.org")
    make_registration(full_name="Someone Else")
    login_as("checkin")
    query = {
        "name": "الحلبي",
        "code": registration.checkin_code,
        "link": f"http://conference.test/manage/checkin/c/{registration.checkin_code}",
    }[how]

    html = text(search(client, query))

    assert "محمد الحلبي" in html
    assert "Someone Else" not in html


@pytest.mark.parametrize("query", ["احمد الحلبى", "أَحْمَد", "ahmad", "AHMAD"])
def test_the_desk_search_folds_letter_variants_and_case(client, login_as, make_registration, query):
    make_registration(full_name="أحمد الحلبي", email="ahmad.h@example.org")
    make_registration(full_name="Ahmad Stone", email="stone@example.org")
    login_as("checkin")

    html = text(search(client, query))

    assert ("أحمد الحلبي" in html) == (query[0] not in "aA")
    assert ("Ahmad Stone" in html) == (query[0] in "aA")


@pytest.mark.parametrize("query", ["lice@", "alice@example.org", "example", "a"])
def test_search_never_matches_the_email_address(client, login_as, make_registration, query):
    # The address is shown masked; matching its parts would unmask it letter by letter.
    make_registration(full_name="Bob Stone", email="alice@example.org")
    login_as("checkin")

    html = text(search(client, query))

    assert "Bob Stone" not in html


def test_the_search_is_a_post_and_a_query_string_finds_no_one(client, login_as, make_registration):
    # What is typed at the desk (often a check-in code) must never enter a URL: servers
    # and proxies log the request line in full, the body never.
    registration = make_registration(full_name="Ada Lovelace")
    login_as("checkin")

    form = text(client.get("/manage/checkin"))
    by_link = client.get("/manage/checkin", query_string={"q": registration.checkin_code})
    found = search(client, registration.checkin_code)

    assert re.search(r'<form method="post" action="/manage/checkin"[^>]*role="search"', form)
    assert "Ada Lovelace" not in text(by_link)
    assert registration.checkin_code not in text(by_link)
    assert "Ada Lovelace" in text(found)
    assert found.headers["Cache-Control"] == "no-store"
    assert text(found).count(registration.checkin_code) == 1  # in the search box, no link
    assert AuditEvent.query.filter_by(action="checkin.searched").count() == 1


def test_each_search_is_one_audit_event(client, login_as, make_registration):
    registration = make_registration(full_name="Ada Lovelace")
    make_registration(full_name="Ada Byron")
    staff = login_as("checkin")

    client.get("/manage/checkin")  # the page alone
    search(client, "ada")
    search(client, registration.checkin_code)
    search(client, "nobody")

    events = AuditEvent.query.filter_by(action="checkin.searched").order_by(AuditEvent.id).all()
    assert [e.details for e in events] == [
        {"by": "name", "query": "ada", "shown": 2},
        {"by": "code", "shown": 1},  # the code itself is not copied into the log
        {"by": "name", "query": "nobody", "shown": 0},
    ]
    assert {e.actor_id for e in events} == {staff.id}


def test_search_shows_waitlisted_and_cancelled_people_as_such(
    client, login_as, make_conference, make_registration
):
    conference = make_conference(arts_capacity=1)
    make_registration(full_name="Pat Seated", to=conference)
    waiting = make_registration(full_name="Pat Waiting", to=conference)
    gone = make_registration(full_name="Pat Gone", tracks=["social"], to=conference)
    services.cancel_registration(gone)
    login_as("checkin")

    html = text(search(client, "pat"))

    assert html.count('action="/manage/checkin/') == 1  # only the seated one has a button
    assert "Only on the waiting list: no confirmed seat." in html
    assert "This registration was cancelled." in html
    for registration in (waiting, gone):
        mark(client, registration)
        page = text(client.get("/manage/checkin"))
        assert 'data-checkin-result="refused"' in page
        assert registration.checked_in_at is None


def test_undo_from_the_success_state(client, login_as, make_registration):
    registration = make_registration()
    login_as("checkin")
    mark(client, registration)

    response = client.post(
        f"/manage/checkin/{registration.id}/undo", data={"back": "/manage/checkin"}
    )
    page = text(client.get("/manage/checkin"))

    assert response.status_code == 302
    assert 'data-checkin-result="undone"' in page
    db.session.refresh(registration)
    assert registration.checked_in_at is None


def test_counts_on_the_page_and_as_json(client, login_as, make_registration):
    staff = login_as("checkin")
    ada = make_registration(full_name="Ada", tracks=["arts"])
    make_registration(full_name="Bob", tracks=["arts"])
    checkin.check_in(ada, by=staff)

    html = text(client.get("/manage/checkin"))
    counts = client.get("/manage/checkin/counts").get_json()

    assert "Arrivals so far" in html
    assert re.search(r'data-count="checked_in">1<', html)
    assert re.search(r'data-count="confirmed">2<', html)
    assert 'src="/static/js/checkin.js' in html
    assert (counts["checked_in"], counts["confirmed"]) == ("1", "2")
    arts = next(t for t in counts["tracks"] if t["checked_in"] == "1")
    assert arts["confirmed"] == "2"


def test_an_unknown_code_is_a_clear_404(client, login_as, conference):
    login_as("checkin")

    for code in ["nope-nope-nope", "%00", "a" * 500, "../x"]:
        response = client.get(f"/manage/checkin/c/{code}")
        assert response.status_code == 404
    html = text(client.get("/manage/checkin/c/nope-nope-nope"))
    assert 'data-checkin-invalid="unknown"' in html
    assert "Not valid" in html
    assert "No registration has this check-in code." in html


def test_hostile_search_input_is_harmless(client, login_as, make_registration):
    make_registration(full_name="Ada")
    login_as("checkin")

    for query in ["%", "_", "\\", "'; DROP TABLE registration; --", "x" * 5000, "\x00"]:
        assert search(client, query).status_code == 200
    assert client.post("/manage/checkin/999999").status_code == 404
    assert client.post("/manage/checkin/99999999999999999999999").status_code == 404
    assert client.post("/manage/checkin/999999/undo").status_code == 404


def test_back_goes_only_to_this_site(client, login_as, make_registration):
    registration = make_registration()
    login_as("checkin")

    response = mark(client, registration, back="https://evil.example/")

    assert response.headers["Location"] == "/manage/checkin"


def test_check_in_staff_land_on_the_check_in_page(client, login_as):
    login_as("checkin")

    assert client.get("/manage/").headers["Location"] == "/manage/checkin"


# ---------------------------------------------------------------------------------------
# Who may use it


PAGES = ["/manage/checkin", "/manage/checkin/counts", "/manage/checkin/c/{code}"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, make_registration, path):
    registration = make_registration()

    response = client.get(path.format(code=registration.checkin_code))
    post = mark(client, registration)

    assert response.status_code == 302
    # The page to come back to is kept in the session: a code never enters a URL.
    assert response.headers["Location"] == "/manage/login"
    assert post.status_code == 401
    assert registration.checked_in_at is None


def test_a_qr_code_opened_before_signing_in_opens_once_signed_in(
    client, make_registration, make_user
):
    registration = make_registration(full_name="Ada Lovelace")
    staff = make_user("checkin")
    path = f"/manage/checkin/c/{registration.checkin_code}"

    sent = client.get(path)
    login = client.get(sent.headers["Location"])
    signed_in = client.post(
        "/manage/login", data={"email": staff.email, "password": STAFF_PASSWORD}
    )

    assert registration.checkin_code not in sent.headers["Location"]
    assert registration.checkin_code not in login.text
    assert signed_in.headers["Location"] == path
    assert "Ada Lovelace" in text(client.get(path))


@pytest.mark.parametrize("role", ["sponsor", "coordinator"])
def test_other_roles_are_refused(client, login_as, make_registration, role):
    registration = make_registration()
    login_as(role)

    for path in PAGES:
        assert client.get(path.format(code=registration.checkin_code)).status_code == 403
    assert mark(client, registration).status_code == 403
    assert registration.checked_in_at is None


@pytest.mark.parametrize("role", ["admin", "organizer", "checkin"])
def test_admins_organizers_and_check_in_staff_may_check_in(
    client, login_as, make_registration, role
):
    registration = make_registration()
    login_as(role)

    assert client.get("/manage/checkin").status_code == 200
    assert mark(client, registration).status_code == 302
    assert registration.checked_in_at is not None


def test_posts_need_the_csrf_token(make_app, content_data):
    from conference.accounts import services as accounts
    from conference.content import services as content

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        content.load_content(content_data)
        registration_id = services.register_attendee(
            content.get_conference("for-syria"),
            email="ada@example.org",
            full_name="Ada Lovelace",
            track_keys=["arts"],
            language="en",
            privacy_accepted=True,
            source="import",
        ).registration.id
        accounts.create_user("staff@forsyria.example", role="checkin", password="x" * 20)
    # Requests outside the app context: Flask-WTF keeps a page's token on ``g``.
    client = app.test_client()
    login = text(client.get("/manage/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
    client.post(
        "/manage/login",
        data={"email": "staff@forsyria.example", "password": "x" * 20, "csrf_token": token},
    )

    refused = client.post(f"/manage/checkin/{registration_id}", data={})
    search_refused = search(client, "lovelace")
    page = text(client.get("/manage/checkin"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    found = client.post("/manage/checkin", data={"q": "lovelace", "csrf_token": token})
    accepted = client.post(f"/manage/checkin/{registration_id}", data={"csrf_token": token})

    assert refused.status_code == 400
    assert search_refused.status_code == 400
    assert "Ada Lovelace" not in text(search_refused)
    assert found.status_code == 200
    assert "Ada Lovelace" in text(found)
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.get(Registration, registration_id).checked_in_at is not None


# ---------------------------------------------------------------------------------------
# Cost


def count_queries(call):
    from sqlalchemy import event

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.remove()  # a fresh session, as each request in production has
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_search_page_costs_the_same_for_11_or_20_people(client, login_as, make_registration):
    staff = login_as("checkin")
    people = [
        make_registration(full_name=f"Nour {n}", tracks=["arts", "social"]) for n in range(20)
    ]
    for registration in people[::2]:
        checkin.check_in(registration, by=staff)

    conference_id = people[0].conference_id

    def page(query):
        def request():
            queries.forget_counts(conference_id)
            search(client, query)

        return request

    few = count_queries(page("Nour 1"))  # Nour 1, Nour 10 ... Nour 19: 11 people
    many = count_queries(page("Nour"))  # all 20

    assert many == few
    assert many <= 12  # 10 for the page, 2 for its audit event (BEGIN IMMEDIATE, INSERT)
