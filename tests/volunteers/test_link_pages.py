"""The volunteer's private link (my shifts, hours, add, drop, erase), the guardian's
confirmation and what the logs keep of their addresses."""

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from conference import applog
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.volunteers import private_views, services
from conference.volunteers.models import (
    Attendance,
    ShiftSignup,
    SignupStatus,
    TokenPurpose,
    Volunteer,
    VolunteerStatus,
)

from .conftest import BEFORE, shift

AR = {"Accept-Language": "ar"}
MINOR = {
    "age_group": "under_18",
    "guardian_name": "Sami Haddad",
    "guardian_email": "sami@example.org",
}


@pytest.fixture
def now(monkeypatch):
    """The pages' clock: before the conference unless a test moves it."""
    moment = {"now": BEFORE}
    monkeypatch.setattr(private_views, "utcnow", lambda: moment["now"])
    return moment


def text(response):
    return unescape(response.get_data(as_text=True))


def words(response):
    return re.sub(r"<[^>]+>", "", text(response))


def linked(outcome, purpose=TokenPurpose.manage):
    token = services.mint_token(outcome.volunteer, purpose)
    db.session.commit()
    return token


@pytest.fixture
def lina(sign_up, now):
    outcome = sign_up("lina@example.org", ["sample-youth-1"], full_name="Lina Haddad")
    return outcome.volunteer, linked(outcome)


def test_my_page_shows_only_my_shifts_and_never_another_name(client, sign_up, lina):
    _volunteer, token = lina
    sign_up("omar@example.org", ["sample-youth-1", "sample-stage-1"], full_name="Omar Khalil")
    response = client.get(f"/volunteer/{token}")
    html = text(response)
    assert response.status_code == 200
    assert "Youth corner" in html
    assert "Stage crew" not in html
    assert "Omar" not in html
    assert "omar@example.org" not in html
    assert "Confirmed" in html
    assert "Drop this shift" in html


def test_private_pages_are_never_stored_and_send_no_referer(client, lina):
    _volunteer, token = lina
    for path in ("", "/shifts", "/erase", f"/shifts/{shift('sample-youth-1').id}/drop"):
        response = client.get(f"/volunteer/{token}{path}")
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(
    "path",
    [
        "/volunteer/nope",
        "/volunteer/nope/shifts",
        "/volunteer/nope/erase",
        "/volunteer/" + "x" * 300,
    ],
)
def test_an_unknown_link_is_a_404(client, conference, path):
    assert client.get(path).status_code == 404


def test_the_secret_is_redacted_from_the_logs(app):
    for path, shown in [
        ("/volunteer/SECRET123/shifts", "/volunteer/<token>/shifts"),
        ("/volunteer/guardian/SECRET123", "/volunteer/guardian/<token>"),
        ("/volunteer/SECRET123", "/volunteer/<token>"),
    ]:
        assert applog.redact(f"GET {path} HTTP/1.1") == f"GET {shown} HTTP/1.1"


def test_the_page_in_arabic(client, lina):
    _volunteer, token = lina
    html = text(client.get(f"/volunteer/{token}", headers=AR))
    assert 'lang="ar" dir="rtl"' in html
    assert "مناوباتك" in html
    assert "ركن الشباب" in html


def test_my_hours(client, lina):
    volunteer, token = lina
    (signup,) = volunteer.signups
    assert "once a coordinator marks you as arrived" in text(client.get(f"/volunteer/{token}"))
    signup.attendance = Attendance.arrived
    db.session.commit()
    page = words(client.get(f"/volunteer/{token}"))
    assert "You have worked 1 shift." in page
    assert "In total: 3 hours." in page
    arabic = words(client.get(f"/volunteer/{token}", headers=AR))
    assert "عملت في مناوبة واحدة." in arabic
    assert "المجموع: 3 ساعات." in arabic


def test_add_shifts_through_the_page(client, lina):
    volunteer, token = lina
    page = text(client.get(f"/volunteer/{token}/shifts"))
    assert "Your shift" in page  # mine, without a box
    stage = shift("sample-stage-1")
    response = client.post(f"/volunteer/{token}/shifts", data={"shifts": [str(stage.id)]})
    assert response.status_code == 303
    assert shift("sample-stage-1").taken == 1
    assert "Your new shifts are saved." in text(client.get(f"/volunteer/{token}"))


def test_the_add_page_says_in_advance_what_i_cannot_take(client, lina):
    _volunteer, token = lina
    html = text(client.get(f"/volunteer/{token}/shifts"))
    # Youth corner 10:00–13:00 is mine: Stewards 09:00–13:00 overlaps it
    stewards = shift("sample-stewards-1am").id
    box = re.search(rf'<input[^>]*id="shift-{stewards}"[^>]*>', html)[0]
    assert "disabled" in box
    assert "It overlaps your shift" in html


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    ("key", "english", "arabic"),
    [
        ("sample-stewards-1am", "It overlaps your shift", "تتعارض مع مناوبتك"),
        (
            "sample-youth-1",
            "You have already signed up for this shift.",
            "أنت مسجّل في هذه المناوبة من قبل.",
        ),
    ],
)
def test_a_refused_shift_is_shown_with_its_reason(client, lina, key, english, arabic, language):
    _volunteer, token = lina
    signups = db.session.scalar(sa.select(sa.func.count()).select_from(ShiftSignup))
    response = client.post(
        f"/volunteer/{token}/shifts",
        data={"shifts": [str(shift(key).id)]},
        headers=AR if language == "ar" else {},
    )
    assert response.status_code == 400
    assert text(response).count(arabic if language == "ar" else english) >= 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftSignup)) == signups


@pytest.mark.parametrize("value", ["abc", "99999999999999", "-3", ""])
def test_hostile_shift_ids_are_a_400(client, lina, value):
    _volunteer, token = lina
    response = client.post(f"/volunteer/{token}/shifts", data={"shifts": [value]})
    assert response.status_code == 400


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_deadline_refuses_adding_and_dropping(client, lina, now, language):
    _volunteer, token = lina
    headers = AR if language == "ar" else {}
    youth = shift("sample-youth-1")
    now["now"] = youth.starts_at - timedelta(hours=2)
    page = text(client.get(f"/volunteer/{token}", headers=headers))
    assert "Drop this shift" not in page
    assert (
        "تبدأ هذه المناوبة بعد أقل من" if language == "ar" else "contact the organizers"
    ) in page
    stage = shift("sample-stage-1")  # the same day, five hours later: within 24 hours
    response = client.post(
        f"/volunteer/{token}/shifts", data={"shifts": [str(stage.id)]}, headers=headers
    )
    assert response.status_code == 400
    message = (
        "تبدأ هذه المناوبة قريبًا جدًا فلا يمكن تغييرها هنا"
        if language == "ar"
        else "This shift starts too soon to change it here"
    )
    assert message in text(response)
    dropped = client.post(f"/volunteer/{token}/shifts/{youth.id}/drop", headers=headers)
    assert dropped.status_code == 409
    assert message in text(dropped)
    assert shift("sample-youth-1").taken == 1


def test_drop_a_shift_after_a_confirmation(client, lina):
    _volunteer, token = lina
    youth = shift("sample-youth-1")
    confirm = client.get(f"/volunteer/{token}/shifts/{youth.id}/drop")
    assert confirm.status_code == 200
    assert "Yes, drop this shift" in text(confirm)
    response = client.post(f"/volunteer/{token}/shifts/{youth.id}/drop")
    assert response.status_code == 303
    assert shift("sample-youth-1").taken == 0
    page = text(client.get(f"/volunteer/{token}"))
    assert "You have dropped the shift." in page
    assert "You have no shifts at the moment." in page
    # not mine any more, or never mine: nothing to drop
    assert client.post(f"/volunteer/{token}/shifts/{youth.id}/drop").status_code == 404
    other = shift("sample-stage-1").id
    assert client.get(f"/volunteer/{token}/shifts/{other}/drop").status_code == 404


def test_erase_after_a_confirmation(client, lina):
    volunteer, token = lina
    assert "Yes, erase my data" in text(client.get(f"/volunteer/{token}/erase"))
    response = client.post(f"/volunteer/{token}/erase")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/volunteer/erased")
    assert "Your data is erased" in text(client.get("/volunteer/erased"))
    db.session.expire_all()
    erased = db.session.get(Volunteer, volunteer.id)
    assert erased.status == VolunteerStatus.erased
    assert erased.full_name == ""
    assert shift("sample-youth-1").taken == 0
    assert client.get(f"/volunteer/{token}").status_code == 404


@pytest.fixture
def minor(sign_up, now):
    outcome = sign_up("young@example.org", ["sample-youth-1"], full_name="Rima Haddad", **MINOR)
    return outcome.volunteer, linked(outcome, TokenPurpose.guardian), linked(outcome)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_guardian_confirms_and_twice_is_harmless(client, minor, language):
    volunteer, guardian_token, token = minor
    headers = AR if language == "ar" else {}
    held = text(client.get(f"/volunteer/{token}"))
    assert "Waiting for your parent or guardian to confirm" in held
    page = client.get(f"/volunteer/guardian/{guardian_token}", headers=headers)
    html = text(page)
    assert page.status_code == 200
    assert "<bdi>Rima Haddad</bdi>" in html
    assert ("ركن الشباب" if language == "ar" else "Youth corner") in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(f"/volunteer/guardian/{guardian_token}", headers=headers)
    assert response.status_code == 303
    db.session.expire_all()
    assert [s.status for s in db.session.get(Volunteer, volunteer.id).signups] == [
        SignupStatus.confirmed
    ]
    thanks = text(client.get(f"/volunteer/guardian/{guardian_token}", headers=headers))
    assert ("شكرًا لك" if language == "ar" else "Thank you") in thanks
    assert ("المناوبات المؤكدة" if language == "ar" else "Confirmed shifts") in thanks
    again = client.post(f"/volunteer/guardian/{guardian_token}", headers=headers)
    assert again.status_code == 303
    kinds = list(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert kinds.count("volunteers.confirmation") == 1


def test_the_guardian_sees_which_holds_ended(client, minor):
    volunteer, guardian_token, _token = minor
    (signup,) = volunteer.signups
    late = signup.held_until + timedelta(minutes=1)
    services.expire_holds(volunteer.conference, now=late)
    html = text(client.get(f"/volunteer/guardian/{guardian_token}"))
    assert "Shifts whose hold ended" in html
    assert "Youth corner" in html


def test_an_unknown_guardian_link_is_a_friendly_404(client, conference):
    response = client.get("/volunteer/guardian/nope", headers=AR)
    assert response.status_code == 404
    assert "هذا الرابط لا يعمل" in text(response)
    assert client.post("/volunteer/guardian/nope").status_code == 404
