"""The migrations build exactly the schema the models describe, on both engines."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from conference import create_app
from conference.extensions import db

from .conftest import TEST_CONFIG


def test_migrations_match_the_models_and_downgrade_cleanly(database_url, tmp_path):
    if database_url == "sqlite://":
        database_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        flask_migrate.downgrade(revision="base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()

    assert differences == []
    assert left == set()
