"""Hostile input to every field of every public registration form: never a 500, and
nothing stored that a list, an export or PostgreSQL would choke on."""

import itertools
import unicodedata

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conference.extensions import db
from conference.registration import services
from conference.registration.models import Registration

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 50,
    "\u202eevil\u202c",
    "\u2066isolated\u2069",
    "\ufeffbom",
    "\r\n\t\x0b\x0c",
    "\x1b[31mred",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7 * 7 }}{% raw %}",
    "'; DROP TABLE registration; --",
    "' OR '1'='1",
    "%00%27%22",
    "😀" * 60,
    "👩🏽‍🔬🇸🇾",
    "مُحَمَّد" * 40,
    "a" * 5000,
    "x@" * 200,
    "\u0301\u0301\u0301",
    "ﷺ",
    "\U0010fffd",
    "\ud7ff\ue000",
    "null",
    "None",
    "[]",
    "ar",
    "en",
    "cultural",
]

# Long strings are built by repetition: cheap to generate, still past every limit.
long_text = st.builds(
    lambda part, times: part * times, st.text(min_size=1, max_size=8), st.integers(30, 800)
)
hostile = st.one_of(st.sampled_from(NASTY), st.text(max_size=300), long_text)
hostile_list = st.lists(hostile, max_size=4)

FIELDS = [
    "full_name",
    "email",
    "phone",
    "city",
    "region",
    "language",
    "tracks",
    "needs",
    "privacy",
    "photo_consent",
    "website",
    "submission_id",
    "email_checked",
    "use_suggestion",
]
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_numbers = itertools.count(1)


def valid_answers():
    n = next(_numbers)
    return {
        "full_name": "Layla Haddad",
        "email": f"person{n}@example.org",
        "phone": "+1 202 555 0143",
        "city": "Houston",
        "region": "Texas",
        "language": "en",
        "tracks": ["cultural"],
        "needs": "",
        "privacy": "y",
        "submission_id": f"fuzz-submission-{n:012d}",
    }


def assert_clean(text, limit, *, multiline=False, nullable=True):
    if text is None:
        assert nullable
        return
    assert len(text) <= limit
    for char in text:
        assert char not in BIDI_CONTROLS, repr(text)
        if multiline and char in "\n\t":
            continue
        assert unicodedata.category(char) not in {"Cc", "Cs"}, repr(text)


def assert_everything_stored_is_sane(conference):
    db.session.expire_all()
    keys = {track.key for track in conference.tracks}
    for registration in db.session.scalars(sa.select(Registration)):
        assert_clean(registration.full_name, 200, nullable=False)
        assert registration.full_name
        assert_clean(registration.email, 254, nullable=False)
        assert registration.email == registration.email.strip().lower()
        assert "@" in registration.email
        assert_clean(registration.phone, 40)
        assert_clean(registration.city, 100)
        assert_clean(registration.region, 100)
        assert_clean(registration.needs, 2000, multiline=True)
        assert registration.language in ("ar", "en")
        assert {place.track.key for place in registration.places} <= keys
        assert registration.places
    for track in conference.tracks:
        assert 0 <= track.seats_taken <= track.capacity


def assert_answered(response):
    assert response.status_code in (200, 303), response.status_code
    html = response.get_data(as_text=True)
    assert "<script" not in html
    assert "<img src=x" not in html


@FUZZ
@given(field=st.sampled_from(FIELDS), value=st.one_of(hostile, hostile_list))
def test_one_hostile_field_in_the_registration_form(client, conference, field, value):
    data = valid_answers()
    data[field] = value

    response = client.post("/register", data=data)

    assert_answered(response)
    assert_everything_stored_is_sane(conference)


@FUZZ
@given(values=st.fixed_dictionaries({field: hostile for field in FIELDS}))
def test_every_field_of_the_registration_form_hostile_at_once(client, conference, values):
    response = client.post("/register", data=values, headers={"Accept-Language": "ar"})

    assert_answered(response)
    assert_everything_stored_is_sane(conference)


@FUZZ
@given(name=hostile, city=hostile, needs=hostile)
def test_hostile_text_that_passes_is_stored_cleaned(client, conference, name, city, needs):
    data = valid_answers()
    data.update(full_name=f"x{name}", city=f"y{city}", needs=needs)

    response = client.post("/register", data=data)

    assert_answered(response)
    assert_everything_stored_is_sane(conference)


@pytest.fixture
def manage_token(conference):
    outcome = services.register_attendee(
        conference,
        email="ada@example.org",
        full_name="Ada Lovelace",
        track_keys=["arts"],
        language="en",
        privacy_accepted=True,
    )
    token = services.mint_token(outcome.registration)
    db.session.commit()
    return token


DETAILS = ["full_name", "phone", "city", "region", "language", "needs", "photo_consent"]


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={field: hostile for field in DETAILS}))
def test_hostile_details_from_the_private_link(client, conference, manage_token, values):
    response = client.post(f"/registration/{manage_token}/details", data=values)

    assert_answered(response)
    assert_everything_stored_is_sane(conference)


@FUZZ
@given(tracks=hostile_list)
def test_hostile_tracks_from_the_private_link(client, conference, manage_token, tracks):
    response = client.post(f"/registration/{manage_token}/tracks", data={"tracks": tracks})

    assert_answered(response)
    assert_everything_stored_is_sane(conference)


@FUZZ
@given(email=st.one_of(hostile, hostile_list))
def test_hostile_addresses_asking_for_the_link(client, conference, email):
    response = client.post("/register/link", data={"email": email})

    assert_answered(response)


@FUZZ
@given(token=st.text(min_size=1, max_size=300).filter(lambda t: "/" not in t))
def test_hostile_tokens_get_a_404(client, conference, token):
    response = client.get("/registration/" + token.replace("?", "%3F").replace("#", "%23"))

    assert response.status_code in (404, 308)
