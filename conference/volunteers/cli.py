"""``flask volunteers``: the commands organizers and cron jobs run."""

import click
from flask.cli import AppGroup

from conference.content.services import current_conference
from conference.volunteers import services

volunteers_cli = AppGroup("volunteers", help="Volunteers: holds, coordinators.")


@volunteers_cli.command("expire-holds")
def expire_holds_command():
    """Free the places of minors whose guardian did not confirm in time."""
    conference = current_conference()
    if conference is None:
        raise click.ClickException("no conference loaded: run `flask content load` first")
    freed = services.expire_holds(conference)
    click.echo(f"{freed} held place(s) freed")
