"""The migrations build exactly the schema the models describe, on both engines."""

import copy

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.registration import services

from .conftest import TEST_CONFIG, reset_postgres


def test_migrations_match_the_models_and_downgrade_cleanly(database_url, tmp_path):
    if database_url == "sqlite://":
        database_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            reset_postgres()
        flask_migrate.upgrade(revision="0001_conference_content")
        _insert_content()
        flask_migrate.upgrade()
        kept = db.session.execute(text("SELECT key, seats_taken FROM track")).all()
        db.session.commit()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        flask_migrate.downgrade(revision="base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()

    assert differences == []
    assert kept == [("arts", 0)]
    assert left == set()


def _insert_content():
    """Rows as an earlier release left them: later migrations must carry them over."""
    db.session.execute(
        text(
            "INSERT INTO conference (id, slug, name, tagline, purpose, organizer, starts_on,"
            " ends_on, timezone, venue_name, venue_address, contact_email, unconfirmed,"
            " content_version, updated_at) VALUES (1, 'x', '{}', '{}', '{}', '{}', '2022-03-18',"
            " '2022-03-19', 'UTC', '{}', '{}', 'a@example.org', '[]', 'v1', '2022-01-01')"
        )
    )
    db.session.execute(
        text(
            "INSERT INTO track (id, conference_id, key, name, description, capacity, position)"
            " VALUES (1, 1, 'arts', '{}', '{}', 10, 0)"
        )
    )
    db.session.commit()


def test_the_waiting_count_is_filled_in_from_the_places(database_url, tmp_path, content_data):
    """0018 gives each track the number of its waitlisted places, counted once."""
    if database_url == "sqlite://":
        database_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    data = copy.deepcopy(content_data)
    for track in data["tracks"]:
        track["capacity"] = 1

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            reset_postgres()
        flask_migrate.upgrade()
        content.load_content(data)
        conference = content.get_conference(data["conference"]["slug"])
        for number, keys in enumerate([["arts", "social"], ["arts"], ["arts", "social"]]):
            services.register_attendee(
                conference,
                email=f"p{number}@example.org",
                full_name="لينا حداد",
                track_keys=keys,
                language="ar",
                privacy_accepted=True,
            )
        flask_migrate.downgrade(revision="0017_volunteer_search")  # the count is gone
        flask_migrate.upgrade()
        counts = dict(db.session.execute(text("SELECT key, places_waiting FROM track")).all())
        db.session.commit()
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()

    assert counts == {"arts": 2, "social": 1, "cultural": 0}
