from conference.mailer.models import OutboxMessage
from conference.registration.models import PlaceStatus, Registration

CSV = """\ufeffemail,name,tracks,language,phone,city,state
ada@example.org,Ada Lovelace,arts cultural,en,555-0100,Los Angeles,CA
omar@example.org,عمر الحلبي,الفنون;المجتمع,ar,,حلب,
bad-address,Someone,arts,en,,,
zoe@example.org,Zoe,dance,en,,,
ADA@example.org,Ada Again,arts,en,,,
,No Email,arts,en,,,
sam@example.org,,arts,en,,,
"""


def test_import_registers_rows_and_reports_what_it_skipped(runner, make_conference, tmp_path):
    make_conference(arts_capacity=1)
    path = tmp_path / "paper.csv"
    path.write_text(CSV, encoding="utf-8")

    result = runner.invoke(args=["registrations", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "2 registered (1 on a waiting list), 5 skipped." in result.output
    assert (
        "line 4: skipped bad-address: Enter an email address in the correct format" in result.output
    )
    assert "line 5: skipped zoe@example.org: Unknown track: dance" in result.output
    assert "line 6: skipped ADA@example.org: The same email address as row 2." in result.output
    assert "line 7: skipped (no email): Enter an email address" in result.output
    assert "line 8: skipped sam@example.org: Enter your full name" in result.output
    omar = Registration.query.filter_by(email="omar@example.org").one()
    assert omar.language == "ar"
    assert omar.source == "import"
    assert {p.track.key: p.status for p in omar.places} == {
        "arts": PlaceStatus.waitlisted,
        "social": PlaceStatus.confirmed,
    }
    assert OutboxMessage.query.count() == 2  # a confirmation each, nothing for the skipped


def test_import_needs_the_required_columns(runner, conference, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text("mail,who\nx@example.org,X\n", encoding="utf-8")

    result = runner.invoke(args=["registrations", "import", str(path)])

    assert result.exit_code == 1
    assert "needs the columns: email, full_name, tracks" in result.output
