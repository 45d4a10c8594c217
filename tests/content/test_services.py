import copy

import pytest

from conference.content import services
from conference.content.models import ProgrammeSession, Track


def test_load_content_creates_the_conference_with_three_bilingual_tracks(app, content_data):
    report = services.load_content(content_data)

    conference = services.get_conference("for-syria")
    assert report.version_changed
    assert conference.name == {"en": "For Syria", "ar": "من أجل سوريا"}
    assert [t.key for t in conference.tracks] == ["cultural", "social", "arts"]
    assert [t.name["ar"] for t in conference.tracks] == ["الثقافة", "المجتمع", "الفنون"]
    assert str(conference.starts_on) == "2022-03-18"
    assert str(conference.ends_on) == "2022-03-19"
    assert "ACS" in conference.organizer["en"]
    assert not conference.is_confirmed("venue")


def test_load_content_twice_changes_nothing(app, content_data):
    services.load_content(content_data)
    version = services.get_content_version("for-syria")

    report = services.load_content(content_data)

    assert not report.changed
    assert not report.version_changed
    assert services.get_content_version("for-syria") == version
    assert Track.query.count() == 3


def test_load_content_updates_what_changed_and_bumps_the_version(app, content_data):
    services.load_content(content_data)
    version = services.get_content_version("for-syria")
    data = copy.deepcopy(content_data)
    data["tracks"][2]["capacity"] = 40

    report = services.load_content(data)

    assert report.updated == ["track arts"]
    assert services.get_content_version("for-syria") != version
    assert services.get_conference("for-syria").tracks[2].capacity == 40


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["conference"]["name"].pop("ar"), "conference.name: missing the ar text"),
        (lambda d: d["conference"].update(timezone="Mars/Olympus"), "unknown time zone"),
        (
            lambda d: d["conference"].update(ends_on=d["conference"]["starts_on"].replace(day=1)),
            "ends_on is before starts_on",
        ),
        (lambda d: d["tracks"][0].update(capacity=-1), "tracks[1].capacity"),
        (lambda d: d["tracks"][0].update(capacity="many"), "tracks[1].capacity"),
        (lambda d: d["tracks"][1].update(key="cultural"), "track 'cultural' appears twice"),
        (lambda d: d["tracks"][0]["description"].update(ar="  "), "missing the ar text"),
        (lambda d: d.update(tracks=[]), "at least one track"),
        (lambda d: d["conference"].update(unconfirmed=["weather"]), "unknown facts"),
    ],
)
def test_load_content_rejects_bad_content_and_changes_nothing(app, content_data, change, message):
    services.load_content(content_data)
    version = services.get_content_version("for-syria")
    data = copy.deepcopy(content_data)
    data["conference"]["tagline"] = {"en": "Changed", "ar": "تغيّر"}
    change(data)

    with pytest.raises(
        services.ContentError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        services.load_content(data)

    conference = services.get_conference("for-syria")
    assert conference.tagline["en"] != "Changed"
    assert services.get_content_version("for-syria") == version


def test_sample_programme_is_labelled_and_removable(app, content_data, sample_data):
    services.load_content(content_data)
    conference = services.get_conference("for-syria")

    services.load_sample_programme(conference, sample_data)
    loaded = [
        (s.is_sample, s.day, s.track.key if s.track else None) for s in ProgrammeSession.query.all()
    ]
    again = services.load_sample_programme(conference, sample_data)
    services.remove_sample_programme(conference)

    assert loaded
    assert all(is_sample for is_sample, _day, _track in loaded)
    assert {day for _sample, day, _track in loaded} == set(conference.days)
    assert {track for _sample, _day, track in loaded} == {None, "cultural", "social", "arts"}
    assert not again.changed
    assert ProgrammeSession.query.count() == 0


def test_sample_programme_rejects_an_unknown_track(app, content_data):
    services.load_content(content_data)
    conference = services.get_conference("for-syria")
    bad = {"sessions": [{"key": "x", "day": 1, "track": "sports", "title": {"en": "X", "ar": "س"}}]}

    with pytest.raises(services.ContentError, match="no track 'sports'"):
        services.load_sample_programme(conference, bad)


def test_read_toml_reports_syntax_errors_with_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[conference\nslug = 1", encoding="utf-8")

    with pytest.raises(services.ContentError, match="broken.toml"):
        services.read_toml(path)
