"""``flask dev prepare`` and ``flask dev run``: a development site ready to serve, quickly.

``flask dev prepare`` does what ``flask db upgrade``, ``flask content load``,
``flask content sample`` and ``flask users demo`` do, in that order, in one process
(each ``flask`` command starts the whole app, about a second), and each step does
nothing when there is nothing to do: the database's revision is compared with the head
of ``migrations/versions/`` by reading both, and Alembic only starts when they differ.
``flask dev run`` (what ``make run`` calls) prepares, then serves as ``flask run`` does,
in the same process, logging one line per request (ours, not also Werkzeug's).
Production keeps using the four commands (``docs/deployment.md``).
"""

import ast
import logging
import re
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from conference import applog

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
# ``revision = "0008_outbox_intent"``, ``down_revision = None`` or a tuple (a merge).
ASSIGNMENT = re.compile(r"^(?P<name>down_revision|revision)\s*(?::[^=]*)?=\s*(?P<value>.+)$", re.M)

dev_cli = AppGroup("dev", help="Development helpers (make run).")


def migration_heads(folder=MIGRATIONS):
    """The revisions no other migration in ``folder`` builds on (one, unless branched)."""
    revisions, parents = set(), set()
    for path in folder.glob("*.py"):
        found = {m["name"]: m["value"].strip() for m in ASSIGNMENT.finditer(path.read_text())}
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        down = ast.literal_eval(found.get("down_revision", "None"))
        parents.update(down if isinstance(down, tuple | list) else [down])
    return revisions - parents


def database_revisions(engine):
    """The revisions the database is at (empty for a new database)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return set()
        return set(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


def upgrade_database():
    """Run ``flask db upgrade`` unless the database is at the head already; say which."""
    from conference.extensions import db

    if database_revisions(db.engine) == migration_heads():
        click.echo("Database: up to date.")
        return False
    import flask_migrate  # Alembic is only loaded when there is something to do

    flask_migrate.upgrade()
    click.echo("Database: upgraded.")
    return True


@dev_cli.command("prepare")
@click.pass_context
def prepare_command(ctx):
    """Migrate the database, load the content and the sample programme, add a demo organizer.

    Does nothing where there is nothing to do; safe to run again and again.
    """
    from conference.accounts.cli import demo_command
    from conference.content.cli import load_command, sample_command

    upgrade_database()
    ctx.invoke(load_command, path=None, reset_capacities=False)
    ctx.invoke(sample_command, remove=False)
    ctx.invoke(demo_command)
    if current_app.config["DEV_MAILBOX"]:
        click.echo("Mail is delivered to the development mailbox: " + _mailbox_url())


@dev_cli.command(
    "run",
    with_appcontext=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.pass_context
def run_command(ctx):
    """Prepare (``flask dev prepare``), then serve (``flask run``, same options): one process.

    What ``make run`` calls: the app starts once instead of twice.
    """
    from flask.cli import run_command as flask_run

    ctx.invoke(prepare_command)
    werkzeug = logging.getLogger("werkzeug")
    one_line_per_request = applog.ServerRequestLines()  # ours, not the server's too
    werkzeug.addFilter(one_line_per_request)
    try:
        with flask_run.make_context("run", list(ctx.args), parent=ctx) as run_context:
            flask_run.invoke(run_context)
    finally:
        werkzeug.removeFilter(one_line_per_request)


def _mailbox_url():
    from conference.urls import external_url

    return external_url("mailbox.index")
