"""The public sign-up page: each refusal shown next to its shift in both languages, hostile
input answered with a 4xx and nothing saved, the answer page, the closed page."""

import re
from html import unescape

import pytest
import sqlalchemy as sa

from conference.content import services as content
from conference.extensions import db, limiter
from conference.mailer.models import OutboxMessage
from conference.volunteers import checks, views
from conference.volunteers.models import ShiftSignup, Volunteer

from .conftest import BEFORE, shift

AR = {"Accept-Language": "ar"}
GUARDIAN = {"guardian_name": "Sami Haddad", "guardian_email": "sami@example.org"}


@pytest.fixture(autouse=True)
def before_the_conference(monkeypatch):
    monkeypatch.setattr(views, "utcnow", lambda: BEFORE)


def answers(keys=("sample-youth-1",), **changes):
    data = {
        "full_name": "Lina Haddad",
        "email": "lina@example.org",
        "phone": "",
        "languages": ["ar", "en"],
        "age_group": "25_plus",
        "tshirt_size": "",
        "language": "en",
        "shifts": [str(shift(key).id) for key in keys],
        "privacy": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def text(response):
    return unescape(response.get_data(as_text=True))


def words(response):
    """The page's text without its tags (isolated values are wrapped in <bdi>)."""
    return re.sub(r"<[^>]+>", "", text(response))


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def settings(conference, **values):
    found = checks.settings_of(conference)
    for name, value in values.items():
        setattr(found, name, value)
    db.session.add(found)
    db.session.commit()


def fill(sign_up, key, people, **details):
    for number in range(people):
        sign_up(f"other{number}@example.org", [key], full_name="Hidden Person", **details)


GUIDES_AR = {"skills": ["sample-arts-guides"], "languages": ["ar"]}

# reason: (what is there first, the answers, the English message, the Arabic message)
REASONS = {
    "adults_only": (
        None,
        dict(keys=["sample-stage-1"], age_group="under_18", **GUARDIAN),
        "This role is for volunteers aged 18 or over.",
        "هذا الدور للمتطوعين بعمر 18 سنة فما فوق.",
    ),
    "language": (
        None,
        dict(keys=["sample-welcome-1am"], languages=["en"]),
        "This role needs volunteers who speak Arabic and English.",
        "يتطلب هذا الدور متطوعين يتحدثون",
    ),
    "skill": (
        None,
        dict(keys=["sample-guides-1"]),
        "This role needs: the gallery guides' training",
        "يتطلب هذا الدور: تدريب مرشدي المعرض",
    ),
    "full": (
        lambda conference, sign_up: fill(sign_up, "sample-hosts-1", 2),
        dict(keys=["sample-hosts-1"]),
        "This shift is full.",
        "هذه المناوبة ممتلئة.",
    ),
    "language_need": (
        lambda conference, sign_up: fill(sign_up, "sample-guides-1", 2, **GUIDES_AR),
        dict(keys=["sample-guides-1"], languages=["ar"], skills=["sample-arts-guides"]),
        "The last place on this shift is kept for someone who speaks English.",
        "المكان الأخير في هذه المناوبة محفوظ لمن يتحدث",
    ),
    "overlap": (
        None,
        dict(keys=["sample-youth-1", "sample-stewards-1am"]),
        "It overlaps your shift",
        "تتعارض مع مناوبتك",
    ),
    "session": (
        None,
        dict(keys=["sample-youth-1"], sessions=["sample-arts-1"]),
        "It overlaps a session you want to attend: Exhibition: colours of home.",
        "تتعارض مع جلسة تريد حضورها: معرض: ألوان الوطن.",
    ),
    "rest": (
        None,
        dict(keys=["sample-setup-1", "sample-stewards-1am"], skills=["sample-setup"]),
        "It would make 6 hours of shifts without a break of at least 30 minutes",
        "دون استراحة لا تقل عن 30 دقيقة",
    ),
    "daily": (
        lambda conference, sign_up: settings(conference, max_daily_minutes=300),
        dict(keys=["sample-youth-1", "sample-stage-1"]),
        "It would make 6 hours of shifts that day (the most is 5 hours).",
        "سيصبح مجموع مناوباتك في ذلك اليوم 6 ساعات (الحد الأقصى 5 ساعات).",
    ),
}


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("reason", sorted(REASONS))
def test_each_refusal_is_shown_next_to_its_shift(client, conference, sign_up, reason, language):
    before, spec, english, arabic = REASONS[reason]
    data = answers(**spec) | {"language": language}  # emails (and labels) in the page's
    if before:
        before(conference, sign_up)
    signups = count(ShiftSignup)

    response = client.post("/volunteer", data=data, headers=AR if language == "ar" else {})

    html = text(response)
    assert response.status_code == 400
    message = arabic if language == "ar" else english
    # in the summary (linked to the shift) and beside the shift
    assert html.count(message) >= 2, html[:3000]
    assert re.search(r'<a href="#shift-\d+">', html)
    assert "shift--refused" in html
    assert count(ShiftSignup) == signups
    assert count(Volunteer) == (2 if before and reason != "daily" else 0)
    assert 'value="Lina Haddad"' in html  # the answers are kept


def test_the_page_shows_the_shifts_by_day_and_track(client, conference):
    html = text(client.get("/volunteer"))
    assert "Welcome desk" in html
    assert "Arts track" in html
    assert "General roles" in html
    assert "5 of 5 places left" in html
    assert "At least one speaker of Arabic on this shift" in html
    assert "Sample" in html
    assert "Exhibition: colours of home" in html  # the sessions to keep free


def test_the_page_in_arabic(client, conference):
    html = text(client.get("/volunteer", headers=AR))
    assert 'lang="ar" dir="rtl"' in html
    assert "مسار الفنون" in html
    assert "بقيت 5 أماكن من 5" in html


def test_the_filter_shows_one_track_and_day(client, conference):
    html = text(client.get("/volunteer?track=arts&day=2022-03-19"))
    assert "Gallery guides" in html
    assert "Stage crew" in html
    assert "Welcome desk" not in html
    assert "Friday" not in html.split("<form")[1]


@pytest.mark.parametrize("query", ["?track=nope&day=2022-13-45", "?day=x" * 50, "?track=%00"])
def test_a_filter_that_names_nothing_shows_everything(client, conference, query):
    response = client.get("/volunteer" + query)
    assert response.status_code == 200
    assert "Welcome desk" in text(response)


def test_a_full_shift_is_shown_full_and_cannot_be_ticked(client, conference, sign_up):
    fill(sign_up, "sample-hosts-1", 2)
    html = text(client.get("/volunteer"))
    box = re.search(rf'<input[^>]*id="shift-{shift("sample-hosts-1").id}"[^>]*>', html)[0]
    assert "disabled" in box
    assert "Hidden Person" not in html


def test_a_sign_up_redirects_to_the_answer(client, conference):
    response = client.post("/volunteer", data=answers(["sample-youth-1", "sample-stage-1"]))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/volunteer/done")
    assert shift("sample-youth-1").taken == 1
    done = client.get("/volunteer/done")
    assert "no-store" in done.headers["Cache-Control"]
    assert "We have emailed lina@example.org your shifts and your private link." in words(done)
    # shown once: the session holds it for one page only
    assert client.get("/volunteer/done").status_code == 302


def test_a_minor_is_told_about_the_guardian(client, conference):
    data = answers(age_group="under_18", **GUARDIAN)
    client.post("/volunteer", data=data, headers=AR)
    html = text(client.get("/volunteer/done", headers=AR))
    assert "راسلنا وليّ أمرك على" in html
    assert "sami@example.org" in html
    assert "آذار 2022" in html  # held until, in the conference's time


def test_a_repeat_reads_as_a_first_sign_up(client, conference, sign_up):
    sign_up("lina@example.org", ["sample-stage-1"])
    response = client.post("/volunteer", data=answers())
    assert response.status_code == 303
    assert "We have emailed lina@example.org" in words(client.get("/volunteer/done"))
    assert count(Volunteer) == 1
    kinds = list(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert "volunteers.already_signed_up" in kinds


def test_a_double_submit_signs_up_once(client, conference):
    data = answers(submission_id="A" * 32)
    assert client.post("/volunteer", data=data).status_code == 303
    assert client.post("/volunteer", data=data).status_code == 303
    assert count(Volunteer) == 1
    assert shift("sample-youth-1").taken == 1


def test_the_spam_trap_looks_like_success_and_saves_nothing(client, conference):
    response = client.post("/volunteer", data=answers(website="http://spam.example"))
    assert response.status_code == 303
    assert count(Volunteer) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": "x" * 5000}, "Full name must be 200 characters or fewer"),
        ({"full_name": ""}, "Enter your full name"),
        ({"email": "not an address"}, "Enter an email address in the correct format"),
        ({"email": "a@" + "b" * 300 + ".org"}, "Email address must be 254 characters or fewer"),
        ({"shifts": ["abc"]}, "Select shifts from the list"),
        ({"shifts": ["99999999999999999999"]}, "Select shifts from the list"),
        ({"shifts": ["-1", "0"]}, "Select shifts from the list"),
        ({"shifts": ["2147483647"]}, "Select shifts from the list"),
        ({"shifts": []}, "Select at least one shift"),
        ({"age_group": "old"}, "Select your age group"),
        ({"age_group": None}, "Select your age group"),
        ({"languages": ["fr"]}, "Select the languages you speak"),
        ({"languages": []}, "Select the languages you speak"),
        ({"tshirt_size": "XXXXL"}, "Select a T-shirt size from the list"),
        ({"sessions": ["<script>"]}, "Select sessions from the programme"),
        ({"skills": ["nope"]}, "Select skills from the list"),
        ({"language": "fr"}, "Select the language we should email you in"),
        ({"privacy": None}, "Confirm you agree to the privacy notice"),
        ({"age_group": "under_18"}, "Enter your parent or guardian's full name"),
        (
            {"age_group": "under_18", "guardian_name": "Sami", "guardian_email": "nope"},
            "Enter your parent or guardian's email address in the correct format",
        ),
        (
            {
                "age_group": "under_18",
                "guardian_name": "Sami",
                "guardian_email": "lina@example.org",
            },
            "Enter your parent or guardian's own email address, not yours",
        ),
        ({"phone": "1" * 100}, "Phone number must be 40 characters or fewer"),
    ],
)
def test_hostile_or_wrong_answers_get_a_message_and_a_400(client, conference, changes, message):
    response = client.post("/volunteer", data=answers(**changes))
    assert response.status_code == 400
    assert message in text(response)
    assert count(Volunteer) == 0
    assert count(ShiftSignup) == 0


def test_without_the_csrf_token_nothing_is_saved(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        content.load_content_file()
        conference = content.current_conference()
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
        data = answers()
        client = app.test_client()
        response = client.post("/volunteer", data=data)
        assert response.status_code == 400
        assert "This page timed out. Check your answers and submit again." in text(response)
        assert count(Volunteer) == 0
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/volunteer"))
        )[1]
        assert client.post("/volunteer", data={**data, "csrf_token": token}).status_code == 303


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_closed_window_shows_the_closed_page(client, conference, language):
    settings(conference, signup_open=False)
    headers = AR if language == "ar" else {}
    page = client.get("/volunteer", headers=headers)
    assert page.status_code == 200
    title = "التسجيل للتطوع مغلق" if language == "ar" else "Volunteer sign-up is closed"
    assert title in text(page)
    response = client.post("/volunteer", data=answers(), headers=headers)
    assert response.status_code == 403
    assert count(Volunteer) == 0


def test_the_lost_link_page_answers_the_same_whether_known_or_not(client, conference, sign_up):
    sign_up("lina@example.org", ["sample-youth-1"])
    known = client.post("/volunteer/link", data={"email": "lina@example.org"})
    known_page = text(client.get("/volunteer/link/sent"))
    unknown = client.post("/volunteer/link", data={"email": "nobody@example.org"})
    unknown_page = text(client.get("/volunteer/link/sent"))
    assert known.status_code == unknown.status_code == 303
    assert known_page.replace("lina@example.org", "X") == unknown_page.replace(
        "nobody@example.org", "X"
    )
    kinds = list(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert kinds.count("volunteers.already_signed_up") == 1
    assert client.post("/volunteer/link", data={"email": "x" * 400}).status_code == 400


def test_the_sitemap_and_the_menu_lead_to_the_sign_up(client, conference):
    assert "/volunteer</loc>" in text(client.get("/sitemap.xml"))
    assert 'href="/volunteer"' in text(client.get("/"))


def test_control_characters_are_cleaned_not_stored(client, conference):
    response = client.post("/volunteer", data=answers(full_name="Lina\x00 Haddad\u202e"))
    assert response.status_code == 303
    assert db.session.scalar(sa.select(Volunteer.full_name)) == "Lina Haddad"


@pytest.fixture
def limited_app(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        REGISTRATION_RATE_LIMIT="2 per minute",
        RESEND_RATE_LIMIT="1 per minute",
    )
    with app.app_context():
        content.load_content_file()
        conference = content.current_conference()
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
        yield app
    limiter.enabled = False  # the limiter is one object; the next app sets it again anyway


def test_too_many_sign_ups_or_link_requests_get_the_429_page(limited_app):
    client = limited_app.test_client()
    statuses = [
        client.post("/volunteer", data=answers(email=f"p{n}@example.org")).status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    assert client.get("/volunteer").status_code == 200  # only the POST is limited
    assert client.post("/volunteer/link", data={"email": "a@example.org"}).status_code == 303
    again = client.post("/volunteer/link", data={"email": "a@example.org"}, headers=AR)
    assert again.status_code == 429
    assert "طلبات كثيرة جدًا" in text(again)


def test_a_refused_shift_is_shown_even_if_the_filter_hid_it(client, conference):
    data = answers(["sample-stage-1"], age_group="under_18", **GUARDIAN)
    response = client.post("/volunteer?track=general", data=data)
    html = text(response)
    assert response.status_code == 400
    assert f'id="shift-{shift("sample-stage-1").id}-error"' in html


def test_a_chosen_shift_the_filter_hides_stays_chosen(client, conference):
    youth = shift("sample-youth-1").id
    response = client.post("/volunteer?track=arts", data=answers(full_name=""))
    assert response.status_code == 400
    assert f'<input type="hidden" name="shifts" value="{youth}">' in text(response)


def test_a_refusal_names_the_session_in_the_language_of_the_page(client, conference):
    # Emails in English, the page in Arabic: the clash names the session in Arabic.
    data = answers(keys=["sample-youth-1"], sessions=["sample-arts-1"], language="en")
    response = client.post("/volunteer", data=data, headers=AR)
    assert response.status_code == 400
    assert "تتعارض مع جلسة تريد حضورها: معرض: ألوان الوطن." in text(response)
    assert "Exhibition: colours of home" not in words(response)
