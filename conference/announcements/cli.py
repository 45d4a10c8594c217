"""``flask broadcast queue``: finish queueing a bulk email's messages from a terminal."""

import click
from flask.cli import AppGroup

from conference.announcements import services
from conference.announcements.models import Broadcast
from conference.extensions import db

broadcast_cli = AppGroup("broadcast", help="Bulk emails to attendees.")


@broadcast_cli.command("queue")
@click.argument("broadcast_id", type=int)
def queue_command(broadcast_id):
    """Finish queueing the messages of bulk email BROADCAST_ID (after sending started)."""
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise click.ClickException(f"There is no bulk email {broadcast_id}.")
    remaining = max(broadcast.recipients - broadcast.queued, 0)
    try:
        with click.progressbar(length=remaining, label="Queueing messages") as bar:
            services.queue_broadcast(broadcast, progress=bar.update)
    except services.BulkEmailError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.refresh(broadcast)
    click.echo(f"Bulk email {broadcast_id}: {broadcast.queued} messages queued.")
