"""Bulk email, the organizers' pages: compose in both languages, check, test to oneself,
send; who may; hostile input never breaks them."""

import re

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from conference.announcements import services
from conference.announcements.models import Broadcast
from conference.audit import AuditEvent
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.registration.queries import Filters

from .helpers import FORM, FUZZ, HOSTILE, TEXTS, Rendered, broadcast_id_of, broadcast_messages

# ---------------------------------------------------------------------------------------
# The whole flow, in the browser's shoes


def test_organizer_composes_checks_tests_and_sends(client, login_as, attendee):
    organizer = login_as("organizer")
    arabic = attendee("ar")
    english = attendee("en")

    page = client.get("/manage/email")
    new = client.get("/manage/email/new")
    created = client.post("/manage/email/new", data=FORM)
    broadcast_id = broadcast_id_of(created)
    check = client.get(f"/manage/email/{broadcast_id}")
    frame = client.get(f"/manage/email/{broadcast_id}/preview/ar")
    tested = client.post(f"/manage/email/{broadcast_id}/test")
    [test] = db.session.scalars(sa.select(OutboxMessage).filter_by(kind="broadcast.test"))
    test = Rendered(test)
    sent = client.post(f"/manage/email/{broadcast_id}/send")
    status = client.get(f"/manage/email/{broadcast_id}")

    assert page.status_code == 200
    assert "Email attendees" in page.get_data(as_text=True)
    assert 'href="/manage/email/new"' in page.get_data(as_text=True)
    assert new.status_code == 200
    assert "New email" in new.get_data(as_text=True)
    assert created.status_code == 303
    html = check.get_data(as_text=True)
    assert "Check the email before you send it" in html
    assert TEXTS["subject"]["ar"] in html
    assert TEXTS["subject"]["en"] in html
    assert "Send to 2 people" in html
    assert frame.status_code == 200
    assert "تبدأ الجلسة الأولى الساعة العاشرة" in frame.get_data(as_text=True)
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert tested.status_code == 303
    assert test.recipient == organizer.email
    assert TEXTS["subject"]["ar"] in test.subject
    assert TEXTS["subject"]["en"] in test.subject
    assert TEXTS["body"]["ar"].split("\n")[0] in test.text_body
    assert "The first session starts at ten." in test.html_body
    assert sent.status_code == 303
    by_recipient = {
        m.recipient: m for m in broadcast_messages(db.session.get(Broadcast, broadcast_id))
    }
    assert set(by_recipient) == {arabic.email, english.email}
    assert by_recipient[arabic.email].language == "ar"
    assert by_recipient[arabic.email].subject == TEXTS["subject"]["ar"]
    assert by_recipient[english.email].subject == TEXTS["subject"]["en"]
    status_html = status.get_data(as_text=True)
    assert "2 messages were queued" in status_html
    assert "Waiting to be sent" in status_html
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="bulk_email.sent"))
    assert event.actor_id == organizer.id
    assert event.details == {
        "broadcast": broadcast_id,
        "filters": {},
        "recipients": 2,
        "essential": False,
    }


def test_compose_requires_both_languages(client, login_as, conference):
    login_as("organizer")

    response = client.post("/manage/email/new", data={**FORM, "subject_ar": "  ", "body_en": ""})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter the subject in Arabic" in html
    assert "Enter the message in English" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_compose_form_takes_the_segment_from_the_attendee_list(client, login_as, conference):
    login_as("admin")

    response = client.get("/manage/email/new?track=arts&status=waitlisted&checked_in=bogus")

    html = response.get_data(as_text=True)
    assert re.search(r'<option selected value="arts">|<option value="arts" selected>', html)
    assert re.search(r'<option selected value="waitlisted">|value="waitlisted" selected', html)


def test_hostile_segment_values_are_a_form_error(client, login_as, conference):
    login_as("organizer")

    response = client.post("/manage/email/new", data={**FORM, "track": "<script>", "status": "x"})

    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)


def test_a_draft_can_be_changed_until_it_is_sent(client, login_as, attendee, draft):
    login_as("organizer")
    attendee()
    broadcast = draft()

    changed = client.post(
        f"/manage/email/{broadcast.id}/edit", data={**FORM, "subject_en": "New subject"}
    )
    client.post(f"/manage/email/{broadcast.id}/send")
    refused = client.post(f"/manage/email/{broadcast.id}/edit", data=FORM)

    assert changed.status_code == 303
    assert db.session.get(Broadcast, broadcast.id).subject["en"] == "New subject"
    assert refused.status_code == 303
    assert db.session.get(Broadcast, broadcast.id).subject["en"] == "New subject"
    with pytest.raises(services.BulkEmailError):
        services.save_draft(broadcast.conference, **TEXTS, filters=Filters(), draft=broadcast)


def test_preview_lists_the_segment_and_who_is_left_out(client, login_as, attendee, draft):
    login_as("organizer")
    attendee(tracks=["arts"])
    unsubscribed = attendee(tracks=["arts"])
    services.set_announcements(unsubscribed, wanted=False)
    attendee(tracks=["social"])
    broadcast = draft(Filters(track="arts"))

    html = client.get(f"/manage/email/{broadcast.id}").get_data(as_text=True)

    assert "It goes to 1 person." in html
    assert "1 person in this group unsubscribed from announcements" in html
    assert "Send to 1 person" in html


def test_nobody_in_the_segment_means_nothing_to_send(client, login_as, attendee, draft):
    login_as("organizer")
    attendee(language="en")
    broadcast = draft(Filters(language="ar"))

    html = client.get(f"/manage/email/{broadcast.id}").get_data(as_text=True)
    response = client.post(f"/manage/email/{broadcast.id}/send", follow_redirects=True)

    assert "Nobody in this group can get it" in html
    assert "Send to" not in html
    assert "Nobody in this group can get the email" in response.get_data(as_text=True)
    assert db.session.get(Broadcast, broadcast.id).is_draft


@pytest.mark.parametrize("role", ["checkin", "coordinator", "sponsor"])
def test_other_staff_are_refused(client, login_as, draft, role):
    login_as(role)
    broadcast = draft()

    responses = [
        client.get("/manage/email"),
        client.get("/manage/email/new"),
        client.post("/manage/email/new", data=FORM),
        client.get(f"/manage/email/{broadcast.id}"),
        client.get(f"/manage/email/{broadcast.id}/preview/en"),
        client.post(f"/manage/email/{broadcast.id}/test"),
        client.post(f"/manage/email/{broadcast.id}/send"),
    ]

    assert [r.status_code for r in responses] == [403] * 7
    assert outbox.counts()[MessageStatus.pending] == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    broadcast = draft()

    page = client.get("/manage/email")
    send = client.post(f"/manage/email/{broadcast.id}/send")

    assert page.status_code == 302
    assert "/manage/login" in page.headers["Location"]
    assert send.status_code == 401
    assert db.session.get(Broadcast, broadcast.id).is_draft


def test_unknown_broadcasts_are_not_found(client, login_as, conference):
    login_as("organizer")

    assert client.get("/manage/email/999").status_code == 404
    assert client.post("/manage/email/999/send").status_code == 404
    assert client.get("/manage/email/1/preview/fr").status_code == 404


# ---------------------------------------------------------------------------------------
# Hostile input: never a 500


@FUZZ
@given(
    field=st.sampled_from([*FORM, "q", "track", "status", "language", "checked_in", "essential"]),
    value=HOSTILE,
)
def test_hostile_compose_input_never_breaks_the_page(client, login_as, conference, field, value):
    if client.get("/manage/account").status_code != 200:  # the first example signs in
        login_as("organizer")

    response = client.post("/manage/email/new", data={**FORM, field: value})

    assert response.status_code in (200, 303)
    if response.status_code == 303:
        preview = client.get(response.headers["Location"])
        assert preview.status_code == 200
        assert "<script>alert(1)</script>" not in preview.get_data(as_text=True)


# ---------------------------------------------------------------------------------------
# The layout: the list first, then the form on its own page


def test_the_page_opens_on_the_list_with_a_new_email_button(client, login_as, draft):
    login_as("organizer")
    broadcast = draft()

    html = client.get("/manage/email").get_data(as_text=True)

    assert f'href="/manage/email/{broadcast.id}"' in html
    assert re.search(
        r'<a class="button button--primary" href="/manage/email/new">New email</a>', html
    )
    assert "<textarea" not in html  # the form is a step of its own
    assert html.index("New email") < html.index("Emails sent and drafts")


def test_an_empty_list_says_how_to_start(client, login_as, conference):
    login_as("organizer")

    html = client.get("/manage/email").get_data(as_text=True)

    assert "No emails yet" in html
    assert 'href="/manage/email/new"' in html


def test_the_two_languages_are_side_by_side_each_in_its_direction(client, login_as, conference):
    login_as("organizer")

    html = client.get("/manage/email/new").get_data(as_text=True)

    pair = html.split('<div class="bulk-form__languages">')[1].split("</fieldset>\n  </div>")[0]
    arabic, english = pair.split("</fieldset>")[:2]
    assert re.search(r'<input[^>]*name="subject_ar"', arabic)
    assert re.search(
        r'<textarea[^>]*dir="rtl"[^>]*lang="ar"|<textarea[^>]*lang="ar"[^>]*dir="rtl"', arabic
    )
    assert re.search(
        r'<textarea[^>]*dir="ltr"[^>]*lang="en"|<textarea[^>]*lang="en"[^>]*dir="ltr"', english
    )
    assert '<legend class="legend bulk-form__legend" lang="ar" dir="rtl">' in arabic


def test_the_attendee_list_s_group_opens_the_form_with_it_chosen(client, login_as, conference):
    login_as("organizer")

    html = client.get("/manage/email/new?track=arts").get_data(as_text=True)

    assert re.search(
        r'<option[^>]*selected[^>]*value="arts"|<option[^>]*value="arts"[^>]*selected', html
    )
