import threading

import sqlalchemy as sa

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration import services as registrations
from conference.registration.models import Place, PlaceStatus, Registration

from .conftest import TEST_CONFIG


def test_a_backup_taken_during_a_burst_holds_every_registration_with_its_email(tmp_path):
    live = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.db'}"}
    )
    with live.app_context():
        db.create_all()
        content.load_content_file()
    started, done = threading.Event(), threading.Event()

    def burst():
        with live.app_context():
            conference = content.get_conference("for-syria")
            for n in range(150):
                registrations.register_attendee(
                    conference,
                    email=f"burst{n}@example.org",
                    full_name=f"Person {n}",
                    track_keys=["arts", "social"],
                    language="ar",
                    privacy_accepted=True,
                )
                if n == 20:
                    started.set()
        done.set()

    thread = threading.Thread(target=burst)
    thread.start()
    started.wait(30)
    result = live.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
    thread.join(60)
    path = result.output.split("Backup written to ")[1].strip()

    restored = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with restored.app_context():
        registered = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
        emails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
        confirmed = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Place)
            .where(Place.status == PlaceStatus.confirmed)
        )
        taken = sum(track.seats_taken for track in content.get_conference("for-syria").tracks)
        db.engine.dispose()
    with live.app_context():
        db.engine.dispose()

    assert result.exit_code == 0, result.output
    assert done.is_set()
    assert 20 <= registered <= 150  # taken mid-burst: part of it, one committed state
    assert emails == registered  # each registration's confirmation came along with it
    assert confirmed == taken == 2 * registered  # seats and their counts agree


def test_backup_explains_what_it_cannot_copy(runner, database_url):
    result = runner.invoke(args=["backup"])

    assert result.exit_code == 1
    if database_url.startswith("postgresql"):
        assert "pg_dump --format=custom" in result.output
    else:  # an in-memory database has no file to copy
        assert "copies the embedded SQLite database only" in result.output
