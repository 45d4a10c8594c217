"""Roles, shifts, settings and coordinators' tracks in the back office: what organizers and
coordinators change keeps against the content files, a maximum never goes below the
places taken, a moved shift tells its people and moves their reminders, and a
coordinator stays within their tracks."""

import copy
import multiprocessing
import re
import time
from datetime import datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from conference import create_app
from conference.audit import AuditEvent
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.volunteers import services, setup_services
from conference.volunteers.models import (
    CoordinatorScope,
    Origin,
    Shift,
    ShiftSignup,
    SignupStatus,
    VolunteerRole,
    VolunteerSettings,
)

from .conftest import BEFORE, shift

SETUP = "/manage/volunteers/setup"
AR = {"Accept-Language": "ar"}


@pytest.fixture
def frozen(monkeypatch):
    """The back office's clock at ``BEFORE`` (the conference is in 2022)."""
    monkeypatch.setattr(setup_services, "utcnow", lambda: BEFORE)


def role(key):
    db.session.expire_all()
    return db.session.scalar(sa.select(VolunteerRole).filter_by(key=key))


def events(action):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def role_data(**changes):
    return {
        "name_en": "Photographers",
        "name_ar": "المصورون",
        "description_en": "Take photos of the sessions.",
        "description_ar": "تصوير الجلسات.",
        "track": "arts",
        "languages": ["en"],
        "skill_en": "",
        "skill_ar": "",
        **changes,
    }


def shift_data(role_id, **changes):
    return {
        "role": str(role_id),
        "day": "1",
        "starts": "09:00",
        "ends": "12:00",
        "place_en": "Gallery",
        "place_ar": "المعرض",
        "min_people": "1",
        "max_people": "3",
        "language_need": "",
        **changes,
    }


def messages(kind):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind)))


# ---------------------------------------------------------------------------------------
# Roles and shifts


@pytest.mark.parametrize("headers", [{}, AR], ids=["en", "ar"])
def test_the_roles_page_shows_every_track_and_the_sample_in_both_languages(
    conference, client, organizer, headers
):
    response = client.get(SETUP, headers=headers)
    assert response.status_code == 200
    page = text(response)
    if headers:
        assert "مكتب الاستقبال" in page
        assert "مسار الفنون" in page
        assert "تجريبي" in page
        assert 'lang="ar" dir="rtl"' in response.get_data(as_text=True)
    else:
        assert "Welcome desk" in page
        assert "Gallery guides" in page
        assert "Sample" in page
        assert page.index("General roles") < page.index("Arts track")


def test_a_role_is_created_and_changed_and_audited(conference, client, organizer):
    response = client.post(f"{SETUP}/roles/new", data=role_data(adults_only="y"))
    assert response.status_code == 303
    made = db.session.scalar(sa.select(VolunteerRole).filter_by(origin=Origin.staff))
    assert made.key.startswith("staff-")
    assert made.name == {"en": "Photographers", "ar": "المصورون"}
    assert (made.track_key, made.languages, made.adults_only) == ("arts", ["en"], True)
    assert made.edited_by == organizer.email
    [created] = events("volunteers.role_created")
    assert created.details == {"role": made.id}

    arabic = client.get(f"{SETUP}/roles/{made.id}", headers=AR)
    assert arabic.status_code == 200
    assert "المصورون" in arabic.get_data(as_text=True)
    changed = role_data(name_en="Photo team", track="", skill_en="A camera", skill_ar="كاميرا")
    assert client.post(f"{SETUP}/roles/{made.id}", data=changed).status_code == 303
    made = role(made.key)
    assert made.name["en"] == "Photo team"
    assert made.track is None
    assert made.skill == {"en": "A camera", "ar": "كاميرا"}
    [event] = events("volunteers.role_changed")
    assert set(event.details["fields"]) >= {"name", "skill", "track", "adults_only"}


def test_a_shift_is_created_in_local_time_and_changed(conference, client, organizer):
    guides = role("sample-arts-guides")
    response = client.post(f"{SETUP}/shifts/new", data=shift_data(guides.id, starts="٠٩:٣٠"))
    assert response.status_code == 303
    made = db.session.scalar(sa.select(Shift).filter_by(origin=Origin.staff))
    # 18 March 2022 in Los Angeles is on daylight time (UTC-7).
    assert (made.starts_at, made.ends_at) == (
        datetime(2022, 3, 18, 16, 30),
        datetime(2022, 3, 18, 19, 0),
    )
    assert made.place == {"en": "Gallery", "ar": "المعرض"}
    assert made.key.startswith("staff-")
    assert client.get(f"{SETUP}/shifts/{made.id}", headers=AR).status_code == 200

    data = shift_data(guides.id, day="2", max_people="4", language_need="ar")
    assert client.post(f"{SETUP}/shifts/{made.id}", data=data).status_code == 303
    db.session.expire_all()
    assert made.starts_at.date().day == 19
    assert made.max_people == 4
    assert made.language_need == "ar"
    assert [e.details["shift"] for e in events("volunteers.shift_created")] == [made.id]
    assert events("volunteers.shift_changed")[0].details["changes"] == ["time"]


ENGLISH_ERRORS = [
    (
        "ends before it starts",
        {"starts": "12:00", "ends": "09:00"},
        "The end time must be after the start time",
        "يجب أن ينتهي",
    ),
    (
        "min above max",
        {"min_people": "5", "max_people": "2"},
        "The maximum must be at least the minimum",
        "الحد الأقصى",
    ),
    (
        "empty place",
        {"place_en": "  ", "place_ar": ""},
        "Enter the place in English",
        "أدخل المكان بالإنكليزية",
    ),
    ("unknown role", {"role": "999999"}, "Select a role from the list", "اختر دورًا من القائمة"),
    ("unknown day", {"day": "9"}, "Select a day of the conference", "اختر يومًا من أيام المؤتمر"),
    (
        "a time that is not one",
        {"starts": "25:99"},
        "Enter the start time as hours and minutes",
        "أدخل وقت البداية",
    ),
]


@pytest.mark.parametrize(
    ("changes", "english", "arabic"),
    [case[1:] for case in ENGLISH_ERRORS],
    ids=[case[0] for case in ENGLISH_ERRORS],
)
def test_a_wrong_shift_is_refused_with_a_message_in_both_languages(
    conference, client, organizer, changes, english, arabic
):
    data = shift_data(role("sample-arts-guides").id, **changes)
    response = client.post(f"{SETUP}/shifts/new", data=data)
    assert response.status_code == 400
    assert english in text(response)
    response = client.post(f"{SETUP}/shifts/new", data=data, headers=AR)
    assert response.status_code == 400
    assert arabic in text(response)
    assert english not in text(response)
    assert "هناك مشكلة" in text(response)
    assert db.session.scalar(sa.select(Shift).filter_by(origin=Origin.staff)) is None


@pytest.mark.parametrize("headers", [{}, AR], ids=["en", "ar"])
def test_a_role_without_names_is_refused(conference, client, organizer, headers):
    response = client.post(
        f"{SETUP}/roles/new", data=role_data(name_en="", name_ar=""), headers=headers
    )
    assert response.status_code == 400
    page = text(response)
    if headers:
        assert "أدخل اسم الدور بالعربية" in page
        assert "Enter the role" not in page
    else:
        assert "Enter the role's name in English" in page
        assert "Enter the role's name in Arabic" in page
    assert db.session.scalar(sa.select(VolunteerRole).filter_by(origin=Origin.staff)) is None


def test_a_skill_in_one_language_only_is_refused(conference, client, organizer):
    response = client.post(f"{SETUP}/roles/new", data=role_data(skill_en="First aid"))
    assert response.status_code == 400
    assert "Enter the skill in both languages, or in neither" in text(response)


def test_the_maximum_cannot_go_below_the_places_taken(conference, client, organizer, sign_up):
    sign_up("a@example.org", ["sample-youth-1"])
    sign_up("b@example.org", ["sample-youth-1"])
    youth = shift("sample-youth-1")
    data = shift_data(youth.role_id, starts="10:00", ends="13:00", max_people="1", min_people="1")
    response = client.post(f"{SETUP}/shifts/{youth.id}", data=data)
    assert response.status_code == 400
    assert "2 places are taken on this shift: the maximum cannot go below them." in text(response)
    arabic = client.post(f"{SETUP}/shifts/{youth.id}", data=data, headers=AR)
    assert arabic.status_code == 400
    assert "places are taken" not in text(arabic)
    assert shift("sample-youth-1").max_people == 5
    assert events("volunteers.shift_changed") == []
    data["max_people"] = "2"
    assert client.post(f"{SETUP}/shifts/{youth.id}", data=data).status_code == 303
    assert shift("sample-youth-1").max_people == 2


def test_a_time_change_tells_the_people_on_the_shift_and_moves_their_reminders(conference, sign_up):
    (signup,) = sign_up("a@example.org", ["sample-youth-1"]).signups
    youth = shift("sample-youth-1")
    old_key = f"volunteer-signup:{signup.id}:reminder:0"
    assert db.session.scalar(sa.select(OutboxMessage).filter_by(idempotency_key=old_key))
    values = {
        "role_id": youth.role_id,
        "day": 1,
        "starts": datetime(2022, 3, 18, 11, 0).time(),
        "ends": datetime(2022, 3, 18, 14, 0).time(),
        "place": youth.place,
        "min_people": youth.min_people,
        "max_people": youth.max_people,
        "language_need": None,
    }
    changes = setup_services.update_shift(youth, values, now=BEFORE)

    assert changes == ["time"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboxMessage).filter_by(idempotency_key=old_key)) is None
    moved = db.session.scalar(
        sa.select(OutboxMessage).filter_by(
            idempotency_key=f"volunteer-signup:{signup.id}:reminder:1"
        )
    )
    new_start = datetime(2022, 3, 18, 18, 0)  # 11:00 local
    assert shift("sample-youth-1").starts_at == new_start
    assert moved.next_attempt_at == new_start - timedelta(hours=24)
    assert moved.status == MessageStatus.pending
    [told] = messages("volunteers.shift_changed")
    assert told.recipient == "a@example.org"
    assert told.snapshot["changes"] == ["time"]
    assert told.snapshot["signups"] == [{"id": signup.id, "sequence": 1}]
    assert db.session.get(ShiftSignup, signup.id).ics_sequence == 1


def test_a_place_change_through_the_page_tells_them_too(
    conference, client, organizer, sign_up, frozen
):
    sign_up("a@example.org", ["sample-youth-1"])
    youth = shift("sample-youth-1")
    data = shift_data(youth.role_id, starts="10:00", ends="13:00", max_people="5", min_people="2")
    response = client.post(f"{SETUP}/shifts/{youth.id}", data=data, follow_redirects=True)
    assert "the 1 volunteers" not in text(response)
    assert "the volunteer on it has been emailed the change" in text(response)
    [told] = messages("volunteers.shift_changed")
    assert told.snapshot["changes"] == ["place"]
    assert len(messages("volunteers.reminder")) == 1  # the moved one, not two


def test_a_shift_with_people_is_deleted_only_after_taking_them_off(
    conference, client, organizer, sign_up
):
    (signup,) = sign_up("a@example.org", ["sample-youth-1"]).signups
    youth = shift("sample-youth-1")
    with pytest.raises(setup_services.SetupError):
        setup_services.delete_shift(youth, now=BEFORE)
    ask = client.get(f"{SETUP}/shifts/{youth.id}/delete")
    assert ask.status_code == 200
    assert "1 volunteer is on this shift" in text(ask)
    # Asked when nobody was on it: someone signed up since, so the question comes again.
    again = client.post(f"{SETUP}/shifts/{youth.id}/delete", data={"people": "0"})
    assert again.headers["Location"].endswith(f"/shifts/{youth.id}/delete")
    assert shift("sample-youth-1") is not None
    assert client.post(f"{SETUP}/shifts/{youth.id}/delete", data={"people": "1"}).status_code == 303

    assert shift("sample-youth-1") is None
    [dropped] = messages("volunteers.shift_dropped")
    assert dropped.snapshot["by_staff"] is True
    assert dropped.snapshot["shift_gone"]["uid"] == signup.ics_uid
    # The cancellation renders from what it carries: the shift and its sign-up are gone.
    email = outbox.render(dropped, outbox.Rendering(display=True))
    assert "Youth corner" in email.text
    cancel = icalendar.Calendar.from_ical(email.calendar)
    assert str(cancel["METHOD"]) == "CANCEL"
    (event,) = cancel.walk("VEVENT")
    assert str(event["UID"]).startswith(signup.ics_uid)
    assert messages("volunteers.reminder") == []  # taken back with the place
    assert events("volunteers.shift_deleted")[0].details["told"] == 1
    empty = shift("sample-youth-2")
    assert setup_services.delete_shift(empty, now=BEFORE) == 0


def test_content_loads_keep_what_was_changed_here(conference, sample_data, content_data):
    stage = role("sample-arts-stage")
    setup_services.update_role(
        stage,
        {
            "name": {"en": "Stage hands", "ar": "عمّال المسرح"},
            "description": stage.description,
            "track": "arts",
            "languages": [],
            "adults_only": True,
            "skill": None,
        },
        now=BEFORE,
    )
    youth = shift("sample-youth-1")
    values = {
        "role_id": youth.role_id,
        "day": 1,
        "starts": datetime(2022, 3, 18, 10, 0).time(),
        "ends": datetime(2022, 3, 18, 13, 0).time(),
        "place": {"en": "Courtyard", "ar": "الباحة"},
        "min_people": 1,
        "max_people": 9,
        "language_need": None,
    }
    setup_services.update_shift(youth, values, now=BEFORE)
    settings = setup_services.save_settings(
        conference,
        {
            "signup_open": False,
            "opens_at": None,
            "closes_at": None,
            "change_deadline_hours": 12,
            "max_consecutive_minutes": 300,
            "min_break_minutes": 45,
            "max_daily_minutes": 360,
            "guardian_hold_hours": 48,
            "reminder_hours": 6,
        },
        now=BEFORE,
    )
    assert "change_deadline_hours" in settings

    content.load_content(copy.deepcopy(content_data))
    content.load_sample_programme(conference, copy.deepcopy(sample_data))

    db.session.expire_all()
    assert role("sample-arts-stage").name["en"] == "Stage hands"
    youth = shift("sample-youth-1")
    assert (youth.place["en"], youth.max_people, youth.min_people) == ("Courtyard", 9, 1)
    kept = db.session.scalar(sa.select(VolunteerSettings))
    assert (kept.signup_open, kept.change_deadline_hours, kept.reminder_hours) == (False, 12, 6)


# ---------------------------------------------------------------------------------------
# Settings and coordinators


def test_the_settings_are_saved_audited_and_checked(conference, client, organizer):
    page = client.get(f"{SETUP}/settings", headers=AR)
    assert page.status_code == 200
    data = {
        "signup_open": "open",
        "opens_at": "2022-03-01T09:00",
        "closes_at": "2022-03-15T18:00",
        "change_deadline_hours": "12",
        "max_consecutive_hours": "5",
        "min_break_minutes": "45",
        "max_daily_hours": "٦",
        "guardian_hold_hours": "48",
        "reminder_hours": "6",
    }
    assert client.post(f"{SETUP}/settings", data=data).status_code == 303
    settings = db.session.scalar(sa.select(VolunteerSettings))
    assert settings.opens_at == datetime(2022, 3, 1, 17, 0)  # PST, UTC-8
    assert (settings.max_consecutive_minutes, settings.max_daily_minutes) == (300, 360)
    assert settings.edited_by == organizer.email
    [event] = events("volunteers.settings_changed")
    assert "reminder_hours" in event.details["fields"]

    wrong = client.post(
        f"{SETUP}/settings",
        data={**data, "closes_at": "2022-02-01T09:00", "max_daily_hours": "0"},
        headers=AR,
    )
    assert wrong.status_code == 400
    assert "هناك مشكلة" in text(wrong)
    english = text(client.post(f"{SETUP}/settings", data={**data, "closes_at": "soon"}))
    assert "Enter the closing as a date and time" in english


def test_a_coordinators_tracks_are_saved_and_audited(conference, client, organizer, make_user):
    rasha = make_user("coordinator", email="rasha@forsyria.example", name="Rasha")
    page = client.get(f"{SETUP}/coordinators")
    assert page.status_code == 200
    assert "Rasha" in text(page)
    response = client.post(
        f"{SETUP}/coordinators", data={"user": str(rasha.id), "scopes": ["arts", "general"]}
    )
    assert response.status_code == 303
    scopes = set(db.session.scalars(sa.select(CoordinatorScope.scope).filter_by(user_id=rasha.id)))
    assert scopes == {"arts", "general"}
    assert events("volunteers.scopes_changed")[0].details == {
        "user": rasha.id,
        "scopes": ["arts", "general"],
    }
    client.post(f"{SETUP}/coordinators", data={"user": str(rasha.id), "scopes": ["social"]})
    scopes = set(db.session.scalars(sa.select(CoordinatorScope.scope).filter_by(user_id=rasha.id)))
    assert scopes == {"social"}

    wrong = client.post(f"{SETUP}/coordinators", data={"user": str(rasha.id), "scopes": ["x"]})
    assert wrong.status_code == 400
    not_one = client.post(
        f"{SETUP}/coordinators", data={"user": str(organizer.id), "scopes": ["arts"]}
    )
    assert not_one.status_code == 400
    assert "This account is not a volunteer coordinator." in text(not_one)


@pytest.fixture
def arts_coordinator(client, login_as, enforced_access):
    user = login_as("coordinator")
    db.session.add(CoordinatorScope(user_id=user.id, scope="arts"))
    db.session.commit()
    return user


def test_a_coordinator_works_within_their_tracks(conference, client, arts_coordinator):
    page = text(client.get(SETUP))
    assert "Gallery guides" in page
    assert "Youth corner" not in page
    assert "Welcome desk" not in page
    youth_role, youth = role("sample-social-youth"), shift("sample-youth-1")
    for path in (f"/roles/{youth_role.id}", f"/shifts/{youth.id}", f"/shifts/{youth.id}/delete"):
        assert client.get(SETUP + path).status_code == 404
        assert client.post(SETUP + path, data={}).status_code == 404
    assert client.get(f"{SETUP}/settings").status_code == 403
    assert client.post(f"{SETUP}/coordinators", data={}).status_code == 403
    # Their own track's role, yes; a role in another track, no.
    guides = role("sample-arts-guides")
    assert client.get(f"{SETUP}/roles/{guides.id}").status_code == 200
    refused = client.post(f"{SETUP}/roles/new", data=role_data(track="social"))
    assert refused.status_code == 400
    assert "Select a track from the list" in text(refused)
    moved = client.post(f"{SETUP}/shifts/new", data=shift_data(youth_role.id))
    assert moved.status_code == 400
    assert client.post(f"{SETUP}/roles/new", data=role_data()).status_code == 303
    with pytest.raises(setup_services.SetupError):
        setup_services.update_role(guides, role_data_values(track="social"), scopes={"arts"})


def role_data_values(**changes):
    return {
        "name": {"en": "x", "ar": "x"},
        "description": {"en": "", "ar": ""},
        "track": "arts",
        "languages": [],
        "adults_only": False,
        "skill": None,
        **changes,
    }


def test_a_coordinator_without_tracks_sees_why(conference, client, login_as, enforced_access):
    login_as("coordinator")
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "You coordinate no track yet" in text(page)
    assert client.get(f"{SETUP}/roles/new").status_code == 404
    assert client.get(f"{SETUP}/shifts/new").status_code == 404


HOSTILE = [
    {"role": "abc", "day": "1\x00", "starts": "x" * 5000, "max_people": "1e9"},
    {"min_people": "-1", "max_people": "99999999999999999999999"},
    {"place_en": "\u202egallery", "place_ar": "<script>", "language_need": "fr"},
    {"starts": "٠٩:٠٠", "ends": "09:00"},
    {"day": "", "role": ""},
]


@pytest.mark.parametrize("changes", HOSTILE)
def test_hostile_input_never_breaks_the_pages(conference, client, organizer, changes):
    guides = role("sample-arts-guides")
    data = shift_data(guides.id, **changes)
    assert client.post(f"{SETUP}/shifts/new", data=data).status_code in (303, 400)
    assert client.post(f"{SETUP}/shifts/{shift('sample-guides-1').id}", data=data).status_code in (
        303,
        400,
    )
    assert client.post(f"{SETUP}/roles/new", data={**role_data(), **changes}).status_code in (
        303,
        400,
    )
    assert client.post(f"{SETUP}/settings", data=changes).status_code == 400
    assert client.post(f"{SETUP}/coordinators", data={"user": "x", **changes}).status_code == 400
    assert client.get(f"{SETUP}/roles/99999999999999").status_code == 404
    assert client.get(f"{SETUP}/shifts/0").status_code == 404


# ---------------------------------------------------------------------------------------
# A maximum lowered while people sign up


CONFIG_NAMES = ("TESTING", "SECRET_KEY", "WTF_CSRF_ENABLED", "RATELIMIT_ENABLED", "BASE_URL")


def _app(config):
    return create_app(config)


def _sign_ups(config, prefix, count, shift_id):
    from conference.volunteers.services import sign_up

    errors, taken = [], 0
    with _app(config).app_context():
        conference = content.get_conference("for-syria")
        for n in range(count):
            time.sleep(0.1)  # people arrive one after another, while the maximum changes
            try:
                sign_up(
                    conference,
                    email=f"{prefix}-{n}@example.org",
                    full_name="Someone",
                    phone=None,
                    languages=["ar", "en"],
                    age_group="25_plus",
                    language="en",
                    tshirt_size=None,
                    skills=[],
                    sessions=[],
                    guardian_name=None,
                    guardian_email=None,
                    privacy_accepted=True,
                    shift_ids=[shift_id],
                    now=BEFORE,
                )
                taken += 1
            except services.VolunteerError:
                db.session.rollback()  # full: refused, as it should be
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
        db.engine.dispose()
    return taken, errors


def _lower(config, shift_id, target):
    errors, lowered = [], False
    with _app(config).app_context():
        for _attempt in range(200):
            found = db.session.get(Shift, shift_id)
            values = {
                "role_id": found.role_id,
                "day": 1,
                "starts": datetime(2022, 3, 18, 10, 0).time(),
                "ends": datetime(2022, 3, 18, 13, 0).time(),
                "place": found.place,
                "min_people": 0,
                "max_people": target,
                "language_need": None,
            }
            try:
                setup_services.update_shift(found, values, now=BEFORE)
                lowered = True
                break
            except setup_services.SetupError:  # more were taken meanwhile: just above them
                db.session.expire_all()
                target = db.session.get(Shift, shift_id).taken + 1
                db.session.rollback()
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
                break
        db.engine.dispose()
    return lowered, errors


def test_lowering_a_maximum_while_people_sign_up_leaves_nobody_over_it(make_app, tmp_path):
    app = make_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":
        url = f"sqlite:///{tmp_path / 'lowering.db'}"
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
    config = {name: app.config[name] for name in CONFIG_NAMES}
    config["SQLALCHEMY_DATABASE_URI"] = url
    with app.app_context():
        content.load_content_file()
        conference = content.get_conference("for-syria")
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
        youth = shift("sample-youth-1")
        youth.max_people = 30
        shift_id = youth.id
        db.session.commit()
        db.session.remove()  # no connection left behind for the processes to inherit
        db.engine.dispose()

    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        jobs = [pool.apply_async(_sign_ups, (config, f"p{n}", 12, shift_id)) for n in range(3)]
        lowering = pool.apply_async(_lower, (config, shift_id, 4))
        results = [job.get(timeout=300) for job in jobs]
        lowered, lower_errors = lowering.get(timeout=300)

    assert [e for _taken, found in results for e in found] == []
    assert lower_errors == []
    assert lowered
    with app.app_context():
        youth = db.session.get(Shift, shift_id)
        current = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ShiftSignup)
            .where(ShiftSignup.shift_id == shift_id, ShiftSignup.status != SignupStatus.dropped)
        )
        taken, max_people = youth.taken, youth.max_people
        db.session.remove()
        db.engine.dispose()
    assert current == taken == sum(n for n, _e in results)
    assert taken == max_people < 30  # 36 tried: full, and nobody over it


def test_the_audit_log_tells_the_set_up_in_words_in_both_languages(
    conference, client, login_as, enforced_access, make_user
):
    login_as("admin")
    guides = role("sample-arts-guides")
    client.post(f"{SETUP}/roles/{guides.id}", data=role_data(name_en="Guides"))
    rasha = make_user("coordinator", email="rasha@forsyria.example", name="Rasha")
    client.post(f"{SETUP}/coordinators", data={"user": str(rasha.id), "scopes": ["arts"]})

    english = text(client.get("/manage/audit"))
    arabic = text(client.get("/manage/audit", headers=AR))
    assert f"Volunteer role #{guides.id} changed" in english
    assert "Tracks of coordinator" in english
    assert "Tracks: Arts" in english
    assert f"تعديل دور التطوع #{guides.id}" in arabic
    assert "تغيير مسارات المنسّق" in arabic
    assert "volunteers.role_changed" not in english
