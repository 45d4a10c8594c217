"""The sponsor portal's pages: a sponsor sees their own sponsor's tracks only, figures
protected, stories consented for sponsors with their credit line; organizers preview."""

import re

import pytest

from conference.content.models import Track
from conference.extensions import db
from conference.showcase import consent
from conference.showcase.models import Credit
from tests.conftest import STAFF_PASSWORD
from tests.sponsors.seeding import make_sponsor, make_sponsor_account, make_story


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def track(conference):
    return db.session.scalar(db.select(Track).filter_by(conference_id=conference.id, key="arts"))


@pytest.fixture
def sponsor(conference):
    return make_sponsor(conference, tracks=["arts"])


@pytest.fixture
def as_sponsor(client, sponsor):
    make_sponsor_account(sponsor, "olive@sponsor.example", STAFF_PASSWORD)
    response = client.post(
        "/manage/login", data={"email": "olive@sponsor.example", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302
    return response


def test_a_sponsor_lands_on_their_portal(as_sponsor, client):
    assert client.get(as_sponsor.headers["Location"]).headers["Location"] == "/sponsor"


def test_the_home_names_the_sponsor_and_their_tracks(as_sponsor, client, make_registration):
    for n in range(6):
        make_registration(f"fan{n}@example.org", city="Houston")

    response = client.get("/sponsor")
    html = text(response)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "Sponsor Olive" in html
    assert "Track: Arts" in html
    assert 'href="/sponsor/impact/arts"' in html
    assert re.search(r'<span class="tile__value">6</span>', html)
    assert 'data-endpoint="sponsor_portal.home" aria-current="page"' in html


def test_an_unsupported_track_is_not_found(as_sponsor, client):
    assert client.get("/sponsor/impact/arts").status_code == 200
    assert client.get("/sponsor/impact/social").status_code == 404
    assert client.get("/sponsor/impact/no-such-track").status_code == 404
    assert client.get("/sponsor/impact/999999").status_code == 404


def test_the_track_may_be_named_by_its_id(as_sponsor, client, track):
    assert client.get(f"/sponsor/impact/{track.id}").status_code == 200


def test_small_groups_read_fewer_than_five(as_sponsor, client, make_registration):
    for n in range(10):
        make_registration(f"big{n}@example.org", city="Houston", region="Texas")
    for n in range(3):
        make_registration(f"small{n}@example.org", city="Smallville", region="Texas")

    html = text(client.get("/sponsor/impact/arts"))

    assert "Houston" in html
    assert "Smallville" not in html  # a place fewer people gave is never named
    assert "Other places (fewer than 5 each)" in html
    assert "fewer than 5" in html
    cities = re.search(r'<caption id="cities-table".*?</table>', html, re.S)[0]
    assert ">10<" not in cities  # Houston hidden too: 13 - 10 would give the 3
    assert "not shown" in cities


def test_the_arabic_impact_page_says_fewer_than_five_too(as_sponsor, client, make_registration):
    for n in range(3):
        make_registration(f"small{n}@example.org", city="Smallville")
    client.set_cookie("lang", "ar")

    html = text(client.get("/sponsor/impact/arts"))

    assert 'lang="ar"' in html
    assert "أقل من 5" in html


def test_the_showcase_holds_stories_for_sponsors_and_never_the_submitter(
    as_sponsor, client, conference, track
):
    shared = make_story(conference, track, title="Shared with sponsors", credit=Credit.initials)
    make_story(
        conference,
        track,
        title="Public only",
        consent_sponsors=False,
        consent_public=True,
    )

    listing = text(client.get("/sponsor/showcase"))
    page = text(client.get(f"/sponsor/showcase/{shared.id}"))

    assert "Shared with sponsors" in listing
    assert "Public only" not in listing
    assert "R. S." in page  # the credit line: initials
    assert "<em>together</em>" in page
    for secret in ("Submitter Person", "submitter@example.org", "Rania Subject"):
        assert secret not in page
        assert secret not in listing


def test_a_story_not_shown_to_sponsors_is_not_found(as_sponsor, client, conference, track):
    hidden = make_story(conference, track, consent_sponsors=False, consent_public=True)

    assert client.get(f"/sponsor/showcase/{hidden.id}").status_code == 404


def test_a_withdrawal_leaves_every_sponsor_page_on_the_next_request(
    as_sponsor, client, conference, track
):
    story = make_story(conference, track, title="Shared, then withdrawn")
    pages = ["/sponsor", "/sponsor/showcase", "/sponsor/summary", "/sponsor/impact/arts"]
    assert "Shared, then withdrawn" in text(client.get("/sponsor/showcase"))
    assert client.get(f"/sponsor/showcase/{story.id}").status_code == 200

    consent.withdraw(
        story, by_role=consent.SUBMITTER, by_name="Submitter", language="en", wording="Withdrawn."
    )
    db.session.commit()

    assert client.get(f"/sponsor/showcase/{story.id}").status_code == 404
    for path in pages:
        assert "Shared, then withdrawn" not in text(client.get(path)), path


def test_the_summary_is_in_both_languages_with_a_print_stylesheet(as_sponsor, client):
    html = text(client.get("/sponsor/summary"))

    assert re.search(r'href="/static/css/sponsor-print.css[^"]*" media="print"', html)
    assert re.search(r'<section class="summary__half" lang="en" dir="ltr"', html)
    assert re.search(r'<section class="summary__half" lang="ar" dir="rtl"', html)
    assert "Impact summary" in html
    assert "ملخص الأثر" in html


def test_a_sponsor_account_without_a_sponsor_sees_a_note_and_nothing_else(
    client, login_as, conference
):
    login_as("sponsor")

    assert "not linked to a sponsor" in text(client.get("/sponsor"))
    for path in ("/sponsor/showcase", "/sponsor/impact/arts", "/sponsor/summary"):
        assert client.get(path).status_code == 404


def test_a_sponsor_sees_only_their_own_sponsor(client, conference, as_sponsor):
    other = make_sponsor(conference, key="cedar", tracks=["social"])

    html = text(client.get(f"/sponsor?sponsor={other.id}"))

    assert "Sponsor Olive" in html
    assert "Sponsor Cedar" not in html
    assert client.get(f"/sponsor/impact/social?sponsor={other.id}").status_code == 404


def test_organizers_preview_any_sponsor(client, conference, login_as, sponsor):
    other = make_sponsor(conference, key="cedar", tracks=["social"])
    login_as("organizer")

    first = text(client.get("/sponsor"))
    chosen = text(client.get(f"/sponsor?sponsor={other.id}"))

    assert "Sponsor Olive" in first
    assert "as this sponsor's accounts see it" in chosen
    assert f'href="/sponsor/impact/social?sponsor={other.id}"' in chosen
    assert client.get(f"/sponsor/impact/social?sponsor={other.id}").status_code == 200
    assert client.get("/sponsor?sponsor=999999").status_code == 200  # no such: a note


@pytest.mark.parametrize("role", ["checkin", "coordinator"])
def test_other_staff_may_not_open_the_portal(client, login_as, conference, role):
    login_as(role)

    for path in ("/sponsor", "/sponsor/showcase", "/sponsor/impact/arts", "/sponsor/summary"):
        assert client.get(path).status_code == 403


def test_visitors_are_sent_to_sign_in(client, conference):
    response = client.get("/sponsor/impact/arts")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/manage/login")
