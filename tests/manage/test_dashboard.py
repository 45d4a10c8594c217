"""The organizers' dashboard: seats, registrations per day, email and the setup checklist."""

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from conference.access import Role, access_of
from conference.extensions import cache, db
from conference.manage import stats
from conference.registration.models import Registration


def text(response):
    return response.get_data(as_text=True)


def seat_row(html, track_name):
    """A track's capacity bar on the dashboard: [seats taken, capacity, waiting] as read."""
    bar = re.search(
        rf'<li class="capacity[^"]*">\s*<div class="capacity__head">.*?<bdi>{track_name}</bdi>'
        r"(.*?)</li>",
        html,
        re.S,
    )
    figures = re.search(r'<span class="capacity__figures">(.*?)</span>', bar[1], re.S)[1]
    numbers = [int(n) for n in re.findall(r"\d+", figures)]
    return numbers + [0] * (3 - len(numbers))


def is_full(html, track_name):
    bar = re.search(
        rf'<li class="capacity[^"]*">((?:(?!</li>).)*?<bdi>{track_name}</bdi>.*?)</li>', html, re.S
    )
    return 'class="badge badge--full"' in bar[1]


def tile(html, label):
    """The value of the dashboard tile labelled ``label``, and its link (or None)."""
    found = re.search(
        rf'<(a|div) class="tile[^"]*"(?: href="([^"]*)")?><span class="tile__label">{label}</span>'
        r' <span class="tile__value">([^<]*)</span>',
        html,
    )
    assert found, f"no tile {label}"
    return found[3], found[2]


def test_the_dashboard_is_for_admins_organizers_and_coordinators(app):
    view = app.view_functions["manage.dashboard"]

    assert access_of(view) == {Role.admin, Role.organizer, Role.coordinator}


def test_dashboard_shows_seats_waiting_lists_and_totals(
    make_conference, client, login_as, make_registration
):
    conference = make_conference(arts_capacity=1)
    make_registration(tracks=["arts"], to=conference)
    make_registration(tracks=["arts", "social"], to=conference)
    login_as("organizer")

    response = client.get("/manage/dashboard")

    html = text(response)
    assert response.status_code == 200
    # seats taken, capacity, waiting
    assert seat_row(html, "Arts") == [1, 1, 1]
    assert seat_row(html, "Social") == [1, 150, 0]
    assert is_full(html, "Arts")
    assert not is_full(html, "Social")
    assert tile(html, "Registrations") == ("2", "/manage/attendees")
    assert 'href="/manage/tracks"' in html
    assert 'href="/manage/attendees"' in html


def test_coordinators_see_no_links_to_personal_data(
    conference, client, login_as, make_registration
):
    make_registration()
    login_as("coordinator")

    html = text(client.get("/manage/dashboard"))

    assert "Seats" in html
    assert 'href="/manage/attendees"' not in html
    assert 'href="/manage/tracks"' not in html
    assert "Ada Lovelace" not in html
    assert "@example.org" not in html


def test_aggregates_are_cached_briefly_and_seats_and_lines_stay_current(
    make_conference, client, login_as, make_registration
):
    conference = make_conference(arts_capacity=1)
    make_registration(tracks=["arts"], to=conference)
    login_as("organizer")
    client.get("/manage/dashboard")
    make_registration(tracks=["arts"], to=conference)  # goes on the waiting list
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        html = text(client.get("/manage/dashboard"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)

    assert not [s for s in statements if "count(" in s]  # no counting on this view
    assert seat_row(html, "Arts") == [1, 1, 1]  # the tracks keep their own counts
    assert tile(html, "Waiting")[0] == "1"
    assert tile(html, "Registrations")[0] == "1"  # an aggregate: 30 s old at most
    cache.clear()
    assert tile(text(client.get("/manage/dashboard")), "Registrations")[0] == "2"


def test_registrations_per_day_are_counted_on_the_conference_s_days(conference, make_registration):
    # Los Angeles is UTC-8 in February: 03:00 UTC on March 1 is still February 28 there.
    make_registration(now=datetime(2022, 2, 27, 18, 0))
    make_registration(now=datetime(2022, 3, 1, 3, 0))
    make_registration(now=datetime(2022, 3, 1, 9, 0))
    make_registration(now=datetime(2022, 3, 1, 10, 0))

    days = stats.registrations_per_day(conference, now=datetime(2022, 3, 1, 12, 0))

    assert days == [("2022-02-27", 1), ("2022-02-28", 1), ("2022-03-01", 2)]


def test_the_chart_runs_to_today_while_registration_is_open(conference, make_registration):
    make_registration(now=datetime(2022, 3, 1, 20, 0))

    days = stats.registrations_per_day(conference, now=datetime(2022, 3, 4, 20, 0))

    assert days == [("2022-03-01", 1), ("2022-03-02", 0), ("2022-03-03", 0), ("2022-03-04", 0)]


def test_the_chart_shows_the_latest_days_only(conference, make_registration):
    make_registration(now=datetime(2022, 1, 1, 20, 0))
    make_registration(now=datetime(2022, 3, 1, 20, 0))

    days = stats.registrations_per_day(conference, now=datetime(2026, 1, 1))

    assert len(days) == stats.CHART_DAYS
    assert days[-1] == ("2025-12-31", 0)  # today in Los Angeles
    assert sum(count for _day, count in days) == 0


def test_the_chart_is_inline_svg_with_its_numbers_in_a_table(
    make_conference, client, login_as, make_registration
):
    # Registration has closed since: the chart ends on the last registration's day.
    conference = make_conference(
        registration={"status": "open", "closes_at": datetime(2022, 3, 10, 12, 0)}
    )
    make_registration(now=datetime(2022, 3, 1, 20, 0), to=conference)
    make_registration(now=datetime(2022, 3, 1, 21, 0), to=conference)
    make_registration(now=datetime(2022, 3, 3, 20, 0), to=conference)
    login_as("organizer")

    html = text(client.get("/manage/dashboard"))

    svg = re.search(r"<svg class=\"chart__svg\".*?</svg>", html, re.S)[0]
    assert 'role="img"' in svg
    assert 'aria-describedby="chart-summary"' in svg
    assert svg.count("<rect") == 2  # empty days draw no bar
    assert "<script" not in html
    assert "3 registrations in all." in html
    assert "Busiest day: Mar 1, 2022, with 2 registrations." in html
    assert '<th scope="row">Wednesday, March 2, 2022</th><td class="number">0</td>' in html


def test_the_chart_runs_right_to_left_in_arabic():
    days = [("2022-03-01", 1), ("2022-03-02", 4)]

    ltr = stats.bar_chart(days, width=100, height=50)
    rtl = stats.bar_chart(days, rtl=True, width=100, height=50)

    assert ltr.top == 5
    assert ltr.bars[0].x < ltr.bars[1].x
    assert rtl.bars[0].x > rtl.bars[1].x
    assert rtl.bars[1].height == 40
    assert stats.bar_chart([]) is None


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (10, 10), (11, 20), (42, 50), (101, 200)]
)
def test_the_scale_ends_on_a_round_number(value, top):
    assert stats.nice_ceiling(value) == top


def test_arabic_dashboard(client, login_as, make_registration):
    make_registration()
    login_as("organizer")

    response = client.get("/manage/dashboard", headers={"Accept-Language": "ar"})

    html = text(response)
    assert response.status_code == 200
    assert 'dir="rtl"' in html


# ---------------------------------------------------------------------------------------
# The setup checklist


def checklist_keys(conference, **kwargs):
    numbers = stats.compute_numbers(conference)
    return [item.key for item in stats.checklist(conference, numbers=numbers, **kwargs)]


def test_the_shipped_content_has_placeholders_and_past_dates(conference):
    keys = checklist_keys(conference, now=datetime(2030, 1, 1))

    assert keys[:5] == [
        "unconfirmed:venue",
        "unconfirmed:timezone",
        "unconfirmed:contact_email",
        "unconfirmed:capacities",
        "unconfirmed:session_times",
    ]
    assert "dates_past" in keys
    assert "no_mail_server" in keys
    assert "registration_closed" not in keys


def test_a_confirmed_future_conference_with_mail_has_nothing_left(make_app, content_data):
    from conference.content import services as content

    app = make_app(MAIL_SERVER="smtp.example.org")
    with app.app_context():
        data = {**content_data, "conference": {**content_data["conference"], "unconfirmed": []}}
        content.load_content(data)
        conference = content.get_conference("for-syria")

        keys = checklist_keys(conference, now=datetime(2022, 3, 1))

    assert keys == []


def test_closed_registration_is_on_the_checklist(make_conference):
    conference = make_conference(registration={"status": "closed"})

    keys = checklist_keys(conference, now=datetime(2022, 3, 1))

    assert "registration_closed" in keys


def test_a_closing_time_that_passed_is_named(make_conference, app):
    conference = make_conference(
        registration={"status": "open", "closes_at": datetime(2022, 3, 10, 17, 0)}
    )

    with app.test_request_context(headers={"Accept-Language": "en"}):
        numbers = stats.compute_numbers(conference)
        items = stats.checklist(conference, numbers=numbers, now=datetime(2022, 3, 12))
        [closed] = [str(item.text) for item in items if item.key == "registration_closed"]

    assert closed == "Registration has closed: it closed on Mar 10, 2022, 5:00\u202fPM."


def test_waiting_emails_are_counted_when_no_mail_server_is_set(conference, make_registration, app):
    make_registration()
    make_registration()

    with app.test_request_context():
        numbers = stats.compute_numbers(conference)
        items = stats.checklist(conference, numbers=numbers)
        [item] = [i for i in items if i.key == "no_mail_server"]

    assert item.text.endswith("2 emails are waiting.")


def test_the_development_secret_is_flagged_outside_production(app, tmp_path, monkeypatch):
    (tmp_path / "secret_key").write_text("generated-development-secret\n")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "SECRET_KEY", "generated-development-secret")

    flagged = stats.uses_development_secret(app)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-secret-set-by-the-environment-000000")
    not_flagged = stats.uses_development_secret(app)

    assert flagged is True
    assert not_flagged is False


def test_the_checklist_shows_on_the_page(client, login_as, conference):
    login_as("admin")

    html = text(client.get("/manage/dashboard"))

    assert 'data-check="unconfirmed:venue"' in html
    assert "The venue is still a placeholder" in html
    assert 'data-check="dates_past"' in html


def test_the_dashboard_works_before_content_is_loaded(client, login_as):
    login_as("organizer")

    response = client.get("/manage/dashboard")

    assert response.status_code == 200
    assert "flask content load" in text(response)


def test_registrations_are_counted_by_status(conference, make_registration):
    make_registration()

    numbers = stats.compute_numbers(conference)

    assert numbers["registrations"] == {"active": 1, "cancelled": 0, "erased": 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    assert stats.local_today(conference, datetime(2022, 3, 1, 3, 0)) == date(2022, 2, 28)


# ---------------------------------------------------------------------------------------
# The figures first: tiles, capacity bars, the set-up banner


def test_tiles_lead_the_page_with_the_figures_and_their_pages(
    make_conference, client, login_as, make_registration
):
    conference = make_conference(arts_capacity=2)
    make_registration(tracks=["arts"], to=conference)
    make_registration(tracks=["arts"], to=conference)
    make_registration(tracks=["arts", "social"], to=conference)  # waits for arts
    login_as("organizer")

    html = text(client.get("/manage/dashboard"))

    capacity = sum(track.capacity for track in conference.tracks)
    assert tile(html, "Registrations") == ("3", "/manage/attendees")
    assert tile(html, "Seats left") == (str(capacity - 3), "/manage/tracks")
    assert tile(html, "Waiting") == ("1", "/manage/attendees?status=waitlisted")
    assert tile(html, "Checked in") == ("0", "/manage/checkin")
    assert tile(html, "Mail waiting")[1] == "/manage/outbox"
    # the tiles come before the seats and the chart
    assert html.index('class="tiles"') < html.index('id="seats-title"') < html.index("chart")
    assert "<dt>" not in html.split('id="registrations-title"')[0].split('class="tiles"')[1]


def test_a_full_track_is_flagged_full_with_its_waiting_list(
    make_conference, client, login_as, make_registration
):
    conference = make_conference(arts_capacity=1)
    make_registration(tracks=["arts"], to=conference)
    login_as("organizer")

    before = text(client.get("/manage/dashboard"))
    make_registration(tracks=["arts"], to=conference)
    cache.clear()
    after = text(client.get("/manage/dashboard"))

    assert is_full(before, "Arts")
    assert is_full(after, "Arts")
    assert not is_full(after, "Social")
    assert "1 of 1 seat taken · 1 waiting" in after


def test_a_track_with_a_seat_left_is_not_full(make_conference, client, login_as):
    make_conference(arts_capacity=1)
    login_as("organizer")

    html = text(client.get("/manage/dashboard"))

    assert not is_full(html, "Arts")
    assert "Full</span>" not in html


def test_coordinators_see_the_tiles_without_links_to_personal_data(
    conference, client, login_as, make_registration
):
    make_registration()
    login_as("coordinator")

    html = text(client.get("/manage/dashboard"))

    assert tile(html, "Registrations") == ("1", None)
    assert tile(html, "Checked in") == ("0", None)
    assert tile(html, "Mail waiting")[1] is None


def test_the_set_up_list_is_a_banner_with_its_count(client, login_as, conference, app):
    login_as("admin")

    html = text(client.get("/manage/dashboard"))
    status = stats.setup_status(conference, numbers=stats.compute_numbers(conference))

    banner = re.search(r'<details class="setup-banner[^"]*"[^>]*>(.*?)</details>', html, re.S)
    summary = re.search(r"<summary>(.*?)</summary>", banner[1], re.S)[1]
    assert f"Set-up: {status.done} of {status.total} done" in summary
    assert 0 < status.done < status.total
    assert status.total == len(status.checks) >= 8
    # the banner comes first, closed, and the list with its files and commands is inside it
    assert html.index("setup-banner") < html.index('class="tiles"')
    assert '<details class="setup-banner" id="setup"' in html  # not open
    before_banner = html.split("setup-banner")[0].split('id="main"')[1]
    assert "conference.toml" not in before_banner
    assert "flask content" not in before_banner
    assert "conference/content/conference.toml</code>" in banner[1]
    pending = re.findall(r'setup-list__item--todo" data-check="([^"]+)"', banner[1])
    assert pending == checklist_keys(conference)


def test_a_finished_set_up_counts_every_check_done(make_app, content_data):
    from conference.content import services as content

    app = make_app(MAIL_SERVER="smtp.example.org")
    with app.app_context():
        data = {**content_data, "conference": {**content_data["conference"], "unconfirmed": []}}
        content.load_content(data)
        conference = content.get_conference("for-syria")
        numbers = stats.compute_numbers(conference)

        status = stats.setup_status(conference, numbers=numbers, now=datetime(2022, 3, 1))

    assert status.complete
    assert status.done == status.total
