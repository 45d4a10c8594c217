"""The organizers' sponsor pages: who may use them, adding, changing (logos included),
ordering and deleting sponsors, tiers, sponsor accounts; refusals are 4xx with translated
messages, every change audited and marked as organizers'."""

import io

import pytest

from conference import audit, images
from conference.access import Role
from conference.accounts.models import User
from conference.content import services as content
from conference.content.models import Sponsor, SponsorTier
from conference.extensions import db
from conference.sponsors.models import SponsorAccount

from .helpers import SVG_OK, png, sponsor, with_sponsors

AR = {"Accept-Language": "ar"}


def _actions():
    return [e.action for e in db.session.scalars(db.select(audit.AuditEvent))]


def _sponsor(key):
    return db.session.scalar(db.select(Sponsor).filter_by(key=key))


def _form(**values):
    return {
        "name_en": "Olive Trust",
        "name_ar": "صندوق الزيتون",
        "tier": "partner",
        "website": "https://olive.example",
        "description_en": "Supports the arts.",
        "description_ar": "يدعم الفنون.",
        "tracks": ["arts"],
        **values,
    }


@pytest.mark.parametrize("role", ["checkin", "coordinator", "sponsor"])
def test_other_staff_may_not_use_the_pages(client, login_as, conference, enforced_access, role):
    login_as(role)
    for path in ("/manage/sponsors", "/manage/sponsors/new", "/manage/sponsors/tiers"):
        assert client.get(path).status_code == 403
    assert client.post("/manage/sponsors/new", data=_form()).status_code == 403
    assert _sponsor("olive-trust") is None


def test_anonymous_visitors_are_sent_to_sign_in(client, conference, enforced_access):
    assert client.get("/manage/sponsors").status_code == 302
    assert client.post("/manage/sponsors/1/delete").status_code == 401


def test_an_organizer_adds_a_sponsor_with_a_png_logo(client, organizer, conference):
    data = _form(logo=(io.BytesIO(png((500, 200))), "logo.png"))

    response = client.post("/manage/sponsors/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 303
    olive = _sponsor("olive-trust")
    assert olive.name == {"en": "Olive Trust", "ar": "صندوق الزيتون"}
    assert olive.tracks == ["arts"]
    assert olive.edited_by == organizer.email
    assert olive.edited_at is not None
    assert images.sizes_of([olive.logo_key])[olive.logo_key] == [(200, 80), (400, 160)]
    assert "sponsor.created" in _actions()
    assert "Olive Trust" in client.get("/sponsors").get_data(as_text=True)


def test_changing_a_sponsor_keeps_it_from_the_content_file(
    client, organizer, conference, sample_data
):
    cedar = _sponsor("sample-cedar-fund")
    version = conference.content_version
    data = _form(name_en="Cedar Fund", tier="lead", remove_logo="y", website="")

    response = client.post(f"/manage/sponsors/{cedar.id}", data=data)

    assert response.status_code == 303
    assert cedar.name["en"] == "Cedar Fund"
    assert cedar.logo_svg is None
    assert cedar.website is None
    assert conference.content_version != version
    content.load_sample_programme(conference, sample_data)
    assert _sponsor("sample-cedar-fund").name["en"] == "Cedar Fund"
    assert "sponsor.updated" in _actions()


def test_an_svg_logo_replaces_the_old_one(client, organizer, conference):
    jasmine = _sponsor("sample-jasmine-bakery")
    old_key = jasmine.logo_key
    data = _form(tier="supporter", logo=(io.BytesIO(SVG_OK), "logo.svg"))

    response = client.post(
        f"/manage/sponsors/{jasmine.id}", data=data, content_type="multipart/form-data"
    )

    assert response.status_code == 303
    assert jasmine.logo_key is None
    assert "<rect" in jasmine.logo_svg
    assert images.sizes_of([old_key]) == {}


@pytest.mark.parametrize(
    ("changes", "english", "arabic"),
    [
        ({"name_en": ""}, "Enter the sponsor's name in English", "أدخل اسم الراعي بالإنجليزية"),
        ({"website": "javascript:alert(1)"}, "starting with https://", "أدخل العنوان الكامل"),
        ({"website": "https://"}, "starting with https://", "أدخل العنوان الكامل"),
        ({"tier": "platinum"}, "Choose the sponsor's tier", "اختر فئة الراعي"),
        ({"tracks": ["nope"]}, "Choose among the conference's tracks", "اختر من بين"),
        (
            {
                "logo": (
                    b"<svg xmlns='http://www.w3.org/2000/svg' onload='x()'/>",
                    "a.svg",
                )
            },
            "event handler",
            "معالج أحداث",
        ),
        (
            {"logo": (b"MZ\x90 not an image", "logo.png")},
            "must be a JPG, PNG or WebP",
            None,
        ),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client, organizer, conference, changes, english, arabic
):
    def data():
        return {
            key: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
            for key, value in _form(**changes).items()
        }

    response = client.post("/manage/sponsors/new", data=data(), content_type="multipart/form-data")
    assert response.status_code == 400
    assert english in response.get_data(as_text=True)
    assert _sponsor("olive-trust") is None
    if arabic:
        response = client.post(
            "/manage/sponsors/new", data=data(), headers=AR, content_type="multipart/form-data"
        )
        assert response.status_code == 400
        assert arabic in response.get_data(as_text=True)


def test_sponsors_move_within_their_tier(client, organizer, conference, content_data):
    content.load_content(
        with_sponsors(content_data, [sponsor("acme"), sponsor("beta"), sponsor("gamma")])
    )
    beta = _sponsor("beta")

    response = client.post(f"/manage/sponsors/{beta.id}/move", data={"direction": "up"})

    assert response.status_code == 303
    html = client.get("/sponsors").get_data(as_text=True)
    assert html.index("Beta Foundation") < html.index("Acme Foundation") < html.index("Gamma")
    assert (
        client.post(f"/manage/sponsors/{beta.id}/move", data={"direction": "x"}).status_code == 400
    )
    assert "sponsor.moved" in _actions()


def test_deleting_asks_first_then_removes_logo_and_access(client, organizer, conference):
    jasmine = _sponsor("sample-jasmine-bakery")
    key = jasmine.logo_key
    client.post(
        f"/manage/sponsors/{jasmine.id}/accounts",
        data={"email": "baker@jasmine.example", "name": "Baker"},
    )
    assert client.get(f"/manage/sponsors/{jasmine.id}/delete").status_code == 200

    response = client.post(f"/manage/sponsors/{jasmine.id}/delete")

    assert response.status_code == 303
    assert _sponsor("sample-jasmine-bakery") is None
    assert images.sizes_of([key]) == {}
    assert db.session.scalar(db.select(SponsorAccount)) is None
    baker = db.session.scalar(db.select(User).filter_by(email="baker@jasmine.example"))
    assert not baker.is_enabled
    assert "sponsor.deleted" in _actions()
    assert client.get(f"/manage/sponsors/{jasmine.id}").status_code == 404


def test_a_sponsor_account_is_invited_and_removed(client, organizer, conference):
    cedar = _sponsor("sample-cedar-fund")

    response = client.post(
        f"/manage/sponsors/{cedar.id}/accounts", data={"email": "ana@cedar.example", "name": "Ana"}
    )

    assert response.status_code == 303
    account = db.session.scalar(db.select(SponsorAccount))
    assert account.sponsor_id == cedar.id
    assert account.user.role == Role.sponsor
    assert "user.invited" in _actions()
    assert "sponsor.account_added" in _actions()
    page = client.get(f"/manage/sponsors/{cedar.id}").get_data(as_text=True)
    assert "ana@cedar.example" in page

    again = client.post(
        f"/manage/sponsors/{cedar.id}/accounts", data={"email": "ana@cedar.example"}, headers=AR
    )
    assert again.status_code == 400
    assert "يوجد حساب" in again.get_data(as_text=True) or "حساب" in again.get_data(as_text=True)
    bad = client.post(f"/manage/sponsors/{cedar.id}/accounts", data={"email": "not-an-address"})
    assert bad.status_code == 400

    response = client.post(f"/manage/sponsors/{cedar.id}/accounts/{account.id}/remove")
    assert response.status_code == 303
    assert db.session.scalar(db.select(SponsorAccount)) is None
    assert "sponsor.account_removed" in _actions()
    other = _sponsor("sample-jasmine-bakery")
    assert (
        client.post(f"/manage/sponsors/{other.id}/accounts/{account.id}/remove").status_code == 404
    )


def test_tiers_are_added_renamed_moved_and_deleted_when_empty(client, organizer, conference):
    response = client.post(
        "/manage/sponsors/tiers", data={"label_en": "Friends", "label_ar": "الأصدقاء"}
    )
    assert response.status_code == 303
    friends = db.session.scalar(db.select(SponsorTier).filter_by(key="friends"))
    assert friends.edited_at is not None

    client.post(
        f"/manage/sponsors/tiers/{friends.id}",
        data={"label_en": "Friends of", "label_ar": "أصدقاء"},
    )
    assert friends.label == {"en": "Friends of", "ar": "أصدقاء"}
    client.post(f"/manage/sponsors/tiers/{friends.id}/move", data={"direction": "up"})
    keys = [
        t.key for t in db.session.scalars(db.select(SponsorTier).order_by(SponsorTier.position))
    ]
    assert keys == ["lead", "partner", "friends", "supporter"]

    lead = db.session.scalar(db.select(SponsorTier).filter_by(key="lead"))
    refused = client.post(f"/manage/sponsors/tiers/{lead.id}/delete", headers=AR)
    assert refused.status_code == 409
    assert "ما زال في هذه الفئة رعاة" in refused.get_data(as_text=True)
    assert client.post(f"/manage/sponsors/tiers/{friends.id}/delete").status_code == 303
    assert db.session.get(SponsorTier, friends.id) is None
    empty = client.post("/manage/sponsors/tiers", data={"label_en": "", "label_ar": ""})
    assert empty.status_code == 400
    for action in (
        "sponsor_tier.created",
        "sponsor_tier.updated",
        "sponsor_tier.moved",
        "sponsor_tier.deleted",
    ):
        assert action in _actions()


def test_the_staff_pages_render_in_arabic(client, organizer, conference):
    cedar = _sponsor("sample-cedar-fund")
    tier = db.session.scalar(db.select(SponsorTier))
    for path in (
        "/manage/sponsors",
        "/manage/sponsors/new",
        f"/manage/sponsors/{cedar.id}",
        f"/manage/sponsors/{cedar.id}/delete",
        "/manage/sponsors/tiers",
        f"/manage/sponsors/tiers/{tier.id}",
    ):
        response = client.get(path, headers=AR)
        assert response.status_code == 200, path
        assert '<html lang="ar" dir="rtl">' in response.get_data(as_text=True)


def test_an_uploaded_svg_is_stored_made_safe(client, organizer, conference):
    hostile = (
        b'<?xml version="1.0"?><!-- made in an editor -->'
        b'<svg xmlns="http://www.w3.org/2000/svg" '
        b'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" viewBox="0 0 10 10">'
        b'<sodipodi:namedview id="v"/><metadata>who made it</metadata>'
        b'<a href="#top"><circle cx="5" cy="5" r="4" fill="#c00" data-track="1"/></a></svg>'
    )
    data = _form(logo=(io.BytesIO(hostile), "logo.svg"))

    response = client.post("/manage/sponsors/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 303
    assert _sponsor("olive-trust").logo_svg == (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<circle cx="5" cy="5" r="4" fill="#c00" /></svg>'
    )
