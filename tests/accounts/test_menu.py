"""The back office's frame: its own header (not the public site's bar), a menu with every
section the signed-in role may open and none it may not, and the current section marked."""

import re

import pytest

from conference.access import Role

from ..policy import POLICY

# The sections of the menu, in order, and the page the test opens for each role.
SECTIONS = [
    "manage.dashboard",
    "registration_staff.attendees",
    "registration_staff.tracks",
    "registration_import.upload",
    "checkin.desk",
    "volunteers_staff.board",
    "showcase_staff.queue",
    "announcements.index",
    "sponsors_staff.index",
    "outbox.index",
    "registration_staff.export",
    "manage.audit",
    "accounts.users",
    "sponsor_portal.home",
]


def text(response):
    return response.get_data(as_text=True)


def menu(html, nav_class="staff-sections"):
    """The endpoints the given menu lists, in order."""
    nav = re.search(rf'<nav class="{nav_class}"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'data-endpoint="([^"]+)"', nav[1]) if nav else []


def allowed(role, app):
    """What the policy (written apart from the code) lets ``role`` open, among the sections."""
    return [
        endpoint
        for endpoint in SECTIONS
        if endpoint in app.view_functions
        and POLICY.get((endpoint, "GET")) not in (None, "public")
        and role in POLICY[(endpoint, "GET")]
    ]


@pytest.mark.parametrize("role", list(Role))
def test_the_menu_holds_every_section_the_role_may_open_and_no_other(
    client, login_as, conference, app, role
):
    login_as(role.value)

    html = text(client.get("/manage/account"))

    assert menu(html) == allowed(role, app)
    assert menu(html, "staff-menu__panel") == allowed(role, app)  # the phone's menu too


def test_an_organizer_reaches_tracks_and_export_from_the_menu(client, login_as, conference):
    login_as("organizer")

    html = text(client.get("/manage/dashboard"))

    sections = menu(html)
    assert "registration_staff.tracks" in sections
    assert "registration_staff.export" in sections
    assert "accounts.users" not in sections
    for path in ("/manage/tracks", "/manage/export", "/manage/email", "/manage/outbox"):
        assert f'href="{path}"' in html


def test_the_import_page_follows_tracks_in_the_menu(client, login_as, conference):
    login_as("organizer")

    html = text(client.get("/manage/dashboard"))

    sections = menu(html)
    assert (
        sections.index("registration_import.upload")
        == sections.index("registration_staff.tracks") + 1
    )
    assert 'href="/manage/import"' in html


def test_the_back_office_has_its_own_header_not_the_public_bar(client, login_as, conference):
    user = login_as("admin")

    html = text(client.get("/manage/dashboard"))

    assert '<header class="staff-header">' in html
    assert 'class="site-nav"' not in html  # Programme / Register / Volunteer
    assert 'href="/register"' not in html
    assert re.search(r'<a class="staff-brand" href="/manage/dashboard">', html)
    assert re.search(r'<a class="staff-header__public" href="/">View the public site</a>', html)
    assert user.email in html
    assert "Sign out" in html
    assert '<details class="staff-menu">' in html


def test_the_current_section_is_marked_also_on_its_inner_pages(
    client, login_as, conference, make_registration
):
    registration = make_registration()
    login_as("organizer")

    list_page = text(client.get("/manage/attendees"))
    detail = text(client.get(f"/manage/attendees/{registration.id}"))
    compose = text(client.get("/manage/email/new"))

    def current(html):
        nav = re.search(r'<nav class="staff-sections"[^>]*>(.*?)</nav>', html, re.S)[1]
        return re.findall(r'data-endpoint="([^"]+)" aria-current="page"', nav)

    assert current(list_page) == ["registration_staff.attendees"]
    assert current(detail) == ["registration_staff.attendees"]
    assert current(compose) == ["announcements.index"]


def test_a_sponsor_has_the_frame_and_only_their_portal_in_the_menu(client, login_as, conference):
    login_as("sponsor")

    response = client.get("/manage/account")
    html = text(response)

    assert response.status_code == 200
    assert menu(html) == ["sponsor_portal.home"]
    assert re.search(r'<a class="staff-brand" href="/manage/"', html)
    assert "Sign out" in html


def test_the_sign_in_page_shows_the_frame_without_a_menu(client, conference):
    html = text(client.get("/manage/login"))

    assert '<header class="staff-header">' in html
    assert "staff-menu" not in html
    assert "staff-sections" not in html


def test_arabic_back_office_header(client, login_as, conference):
    login_as("organizer")

    html = text(client.get("/manage/dashboard", headers={"Accept-Language": "ar"}))

    assert '<html lang="ar" dir="rtl">' in html
    assert "staff-header" in html
    assert 'hreflang="en"' in html
