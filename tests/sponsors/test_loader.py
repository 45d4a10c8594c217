"""Tiers and sponsors from the content files: created, updated, removed, logos read from
beside the file, the sample's sponsors labelled, and organizers' edits always kept."""

import pytest

from conference import images
from conference.clock import utcnow
from conference.content import services as content
from conference.content.models import Sponsor, SponsorTier
from conference.content.parsing import ContentError
from conference.extensions import db
from conference.sponsors import loader

from .helpers import SVG_OK, png, sponsor, with_sponsors


def _sponsors():
    return {s.key: s for s in db.session.scalars(db.select(Sponsor))}


def test_the_shipped_file_has_three_ordered_bilingual_tiers(app, make_conference):
    conference = make_conference()

    tiers = loader.conference_tiers(conference)

    assert [t.key for t in tiers] == ["lead", "partner", "supporter"]
    assert all(t.label["en"] and t.label["ar"] for t in tiers)
    assert _sponsors() == {}


def test_the_sample_sponsors_come_and_go_with_the_sample(app, make_conference, sample_data):
    conference = make_conference(sample=True)
    sponsors = _sponsors()
    assert set(sponsors) == {"sample-cedar-fund", "sample-jasmine-bakery"}
    assert all(s.is_sample for s in sponsors.values())
    cedar, jasmine = sponsors["sample-cedar-fund"], sponsors["sample-jasmine-bakery"]
    assert cedar.logo_svg.startswith("<svg")
    assert cedar.logo_key is None
    assert jasmine.logo_key
    assert images.sizes_of([jasmine.logo_key])
    assert cedar.tracks == ["cultural", "arts"]

    again = content.load_sample_programme(conference, sample_data)
    assert not again.changed  # the same logos: not even new image keys
    assert _sponsors()["sample-jasmine-bakery"].logo_key == jasmine.logo_key

    content.remove_sample_programme(conference)
    assert _sponsors() == {}
    assert images.sizes_of([jasmine.logo_key]) == {}


def test_logos_are_read_beside_the_file(app, make_conference, content_data, tmp_path):
    make_conference()
    (tmp_path / "acme.svg").write_bytes(SVG_OK)
    (tmp_path / "beta.png").write_bytes(png())
    data = with_sponsors(
        content_data,
        [sponsor("acme", logo="acme.svg"), sponsor("beta", logo="beta.png", tier="lead")],
    )

    report = content.load_content(data, base_dir=tmp_path)

    assert {"sponsor acme", "sponsor beta"} <= set(report.created)
    sponsors = _sponsors()
    assert "<rect" in sponsors["acme"].logo_svg
    assert sponsors["beta"].logo_key


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tier": "gold"}, "sponsors[1].tier: one of lead, partner, supporter"),
        ({"website": "javascript:alert(1)"}, "sponsors[1].website"),
        ({"tracks": ["nope"]}, "sponsors[1].tracks"),
        ({"logo": "../../etc/passwd"}, "sponsors[1].logo: a path inside"),
        ({"logo": "missing.png"}, "sponsors[1].logo: cannot read"),
        ({"logo": "bad.svg"}, "sponsors[1].logo: The SVG logo contains <script>"),
    ],
)
def test_a_bad_sponsor_refuses_the_whole_load(
    app, make_conference, content_data, tmp_path, change, message
):
    make_conference()
    (tmp_path / "bad.svg").write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    data = with_sponsors(content_data, [sponsor("ok"), sponsor("acme", **change)])
    data["sponsors"] = [data["sponsors"][1]]

    with pytest.raises(ContentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        content.load_content(data, base_dir=tmp_path)

    assert _sponsors() == {}


def test_a_sponsor_organizers_edited_is_kept_and_reported(app, make_conference, content_data):
    make_conference()
    content.load_content(with_sponsors(content_data, [sponsor("acme"), sponsor("beta")]))
    edited = _sponsors()["acme"]
    edited.name = {"en": "Acme (organizers)", "ar": "أكمي"}
    edited.edited_at = utcnow()
    edited.edited_by = "organizer@forsyria.example"
    db.session.commit()

    changed = sponsor("acme", website="https://other.example")
    report = content.load_content(with_sponsors(content_data, [changed, sponsor("beta")]))
    assert _sponsors()["acme"].name["en"] == "Acme (organizers)"
    assert _sponsors()["acme"].website == "https://acme.example"
    assert any("sponsors.acme: kept" in line for line in report.kept_edited)

    report = content.load_content(with_sponsors(content_data, []))  # gone from the file
    assert set(_sponsors()) == {"acme"}
    assert report.removed == ["sponsor beta"]


def test_tiers_follow_the_file_unless_organizers_edited_them(app, make_conference, content_data):
    conference = make_conference()
    tiers = [
        {"key": "gold", "label": {"en": "Gold", "ar": "ذهبي"}},
        {"key": "silver", "label": {"en": "Silver", "ar": "فضي"}},
    ]
    content.load_content(with_sponsors(content_data, [], tiers=tiers))
    assert [t.key for t in loader.conference_tiers(conference)] == ["gold", "silver"]

    gold = db.session.scalar(db.select(SponsorTier).filter_by(key="gold"))
    gold.label = {"en": "Golden", "ar": "ذهبي"}
    gold.edited_at = utcnow()
    db.session.commit()
    report = content.load_content(with_sponsors(content_data, [], tiers=tiers[1:]))

    assert [t.key for t in loader.conference_tiers(conference)] == ["gold", "silver"]
    assert gold.label["en"] == "Golden"
    assert any("gold" in line for line in report.kept_edited) is False  # not in the file
    report = content.load_content(with_sponsors(content_data, [], tiers=tiers))
    assert any("sponsor_tiers.gold: kept" in line for line in report.kept_edited)


def test_a_load_that_changes_sponsors_gives_a_new_content_version(
    app, make_conference, content_data
):
    conference = make_conference()
    before = conference.content_version

    content.load_content(with_sponsors(content_data, [sponsor("acme")]))

    assert conference.content_version != before


def test_the_command_says_which_sponsors_it_kept(app, runner, make_conference, tmp_path):
    make_conference()
    source = content.CONTENT_FILE.read_text(encoding="utf-8")
    extra = '\n[[sponsors]]\nkey = "acme"\ntier = "lead"\nname = { en = "Acme", ar = "أكمي" }\n'
    path = tmp_path / "conference.toml"
    path.write_text(source + extra, encoding="utf-8")
    assert runner.invoke(args=["content", "load", str(path)]).exit_code == 0
    acme = _sponsors()["acme"]
    acme.edited_at, acme.edited_by = utcnow(), "organizer@forsyria.example"
    acme.name = {"en": "Acme Ltd", "ar": "أكمي"}
    db.session.commit()

    result = runner.invoke(args=["content", "load", str(path)])

    assert result.exit_code == 0, result.output
    assert "sponsors.acme: kept as organizers edited it on" in result.output
    assert "(organizer@forsyria.example)" in result.output
    assert _sponsors()["acme"].name["en"] == "Acme Ltd"
