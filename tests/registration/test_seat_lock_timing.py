"""The seat lock's hold time, told in Server-Timing; what is made before the lock."""

import re

from flask import request
from flask_babel import force_locale

from conference import i18n

from .conftest import answers, registrations

SEAT_LOCK = re.compile(r"(?:^|, )seatlock;dur=(\d+\.\d+)(?:,|$)")


def _seat_lock_ms(response):
    match = SEAT_LOCK.search(response.headers.get("Server-Timing", ""))
    assert match, response.headers.get("Server-Timing")
    return float(match.group(1))


def test_a_registration_reports_how_long_it_held_the_seat_lock(client, conference):
    response = client.post("/register", data=answers())

    assert response.status_code == 303
    assert 0 < _seat_lock_ms(response) < 5000


def test_a_repeat_reports_the_seat_lock_as_a_new_registration_does(client, conference):
    client.post("/register", data=answers())
    client.get("/register/done")

    response = client.post("/register", data=answers(submission_id="submission-repeat-000002"))

    assert response.status_code == 303
    assert _seat_lock_ms(response) > 0
    assert len(registrations()) == 1


def test_pages_without_a_registration_report_no_seat_lock(client, conference):
    assert "seatlock" not in client.get("/register").headers.get("Server-Timing", "")


def test_a_check_in_code_comes_only_with_a_confirmed_seat(client, make_conference):
    make_conference(arts_capacity=1)
    client.post(
        "/register",
        data=answers(
            email="first@example.org", tracks=["arts"], submission_id="submission-first-0000001"
        ),
    )
    client.post(
        "/register",
        data=answers(
            email="second@example.org", tracks=["arts"], submission_id="submission-second-000002"
        ),
    )

    codes = {r.email: r.checkin_code for r in registrations()}
    assert codes["first@example.org"]
    assert codes["second@example.org"] is None


def test_wtforms_messages_are_translated_from_one_catalogue_per_process(app):
    message = "Not a valid integer value."
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        app.preprocess_request()
        translations = request.wtforms_translations
        arabic = translations.ugettext(message)
        with force_locale("en"):
            assert translations.ugettext(message) == message
    assert arabic != message
    before = i18n._wtforms_catalogue.cache_info().misses
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        app.preprocess_request()
        assert request.wtforms_translations.ugettext(message) == arabic
    assert i18n._wtforms_catalogue.cache_info().misses == before
