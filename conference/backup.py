"""``flask backup``: a consistent copy of the embedded SQLite database, taken while it runs.

SQLite's online backup API copies the database page by page and restarts if a writer
changes it meanwhile, so the copy is always one committed state: every registration with
its seats and the emails queued with it. PostgreSQL has its own tool (``pg_dump``).
"""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from conference.extensions import db


def backup_sqlite(destination_dir):
    """Write a consistent copy of the SQLite database into ``destination_dir``; return its path.

    :raises ValueError: the database is not a SQLite file.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValueError("flask backup copies the embedded SQLite database only")
    directory = Path(destination_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = directory / f"for-syria-{stamp}.db"
    source = sqlite3.connect(url.database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy, pages=256)
    finally:
        copy.close()
        source.close()
    target.chmod(0o600)  # it holds attendees' personal data
    return target


@click.command("backup")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(directory):
    """Copy the embedded database to DIRECTORY (default: instance/backups), safely while running."""
    if db.engine.url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "This site runs on PostgreSQL: back it up with "
            'pg_dump --format=custom --file=for-syria.dump "$DATABASE_URL" '
            "(restore with pg_restore --clean --dbname=...)."
        )
    try:
        path = backup_sqlite(directory or Path(current_app.instance_path) / "backups")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path}")


def init_app(app):
    app.cli.add_command(backup_command)
