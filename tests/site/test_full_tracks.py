"""The home page says which tracks are full, and when the whole conference is; its cached
copy changes as soon as the last seat of a track goes."""

import re

from conference.registration import services

AR = {"Accept-Language": "ar"}
EN = {"Accept-Language": "en"}
BADGE = re.compile(r'<li class="card card--(\w+)">(?:(?!</li>).)*badge--full', re.DOTALL)


def full_cards(response):
    return BADGE.findall(response.get_data(as_text=True))


def test_a_full_track_has_a_full_badge_and_the_others_do_not(client, make_conference, register):
    make_conference(arts_capacity=1)
    register("ada@example.org", tracks=["arts"])

    html = client.get("/", headers=EN).get_data(as_text=True)

    assert full_cards(client.get("/", headers=EN)) == ["arts"]
    assert "Full — waiting list" in html
    assert "Free, with limited seats in each track" in html
    assert "The conference is full." not in html
    assert "Register to attend" in html


def test_with_every_track_full_the_hero_says_the_conference_is_full(
    client, make_conference, register
):
    make_conference(arts_capacity=1, social_capacity=1, cultural_capacity=1)
    register("ada@example.org", tracks=["arts", "social", "cultural"])

    english = client.get("/", headers=EN).get_data(as_text=True)
    arabic = client.get("/", headers=AR).get_data(as_text=True)

    assert sorted(full_cards(client.get("/", headers=EN))) == ["arts", "cultural", "social"]
    hero = english.split('<section class="section"', 1)[0]
    assert "The conference is full." in hero
    assert "join the waiting list" in hero
    assert "Free, with limited seats in each track" not in hero
    assert ">Join the waiting list</a>" in hero
    assert "المؤتمر ممتلئ." in arabic
    assert "ممتلئ — قائمة الانتظار" in arabic


def test_no_badge_while_seats_are_left(client, conference):
    html = client.get("/", headers=EN).get_data(as_text=True)

    assert full_cards(client.get("/", headers=EN)) == []
    assert "Full — waiting list" not in html


def test_the_cached_home_page_changes_when_the_last_seat_goes(client, make_conference, register):
    make_conference(arts_capacity=1)
    before = client.get("/", headers=EN)
    again = client.get("/", headers={**EN, "If-None-Match": before.headers["ETag"]})

    register("ada@example.org", tracks=["arts"])  # no new content version
    after = client.get("/", headers=EN)
    revalidated = client.get("/", headers={**EN, "If-None-Match": before.headers["ETag"]})

    assert again.status_code == 304
    assert full_cards(before) == []
    assert full_cards(after) == ["arts"]
    assert after.headers["ETag"] != before.headers["ETag"]
    assert revalidated.status_code == 200
    assert full_cards(revalidated) == ["arts"]


def test_a_seat_coming_back_takes_the_badge_away(client, make_conference, register):
    make_conference(arts_capacity=1)
    outcome = register("ada@example.org", tracks=["arts"])
    assert full_cards(client.get("/", headers=EN)) == ["arts"]

    services.cancel_registration(outcome.registration)

    assert full_cards(client.get("/", headers=EN)) == []
