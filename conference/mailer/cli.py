"""``flask outbox ...`` for the deliverers and operators, ``flask mail test`` for organizers."""

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from conference.extensions import db
from conference.i18n import moment_text
from conference.mailer import admin
from conference.mailer.delivery import deliver_pending, is_configured
from conference.mailer.mime import attachment_names
from conference.mailer.models import MessageStatus
from conference.mailer.renderers import RenderError, render_for_display

outbox_cli = AppGroup("outbox", help="Deliver, inspect and retry queued email.")
mail_cli = AppGroup("mail", help="Check the mail settings.")


def _print_report(report):
    if report.skipped_reason:
        click.echo(f"Nothing sent: {report.skipped_reason}. Messages wait in the outbox.")
        return
    click.echo(
        f"sent {len(report.sent)}, to retry {len(report.retrying)}, failed {len(report.failed)}"
    )


@outbox_cli.command("deliver")
def deliver_command():
    """Send every message that is due, once, then exit."""
    _print_report(deliver_pending())


@outbox_cli.command("work")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def work_command(interval):
    """Deliver continuously until stopped (SIGTERM or Ctrl+C). Several may run at once."""
    if not is_configured():
        raise click.ClickException("No mail server configured (MAIL_SERVER): nothing to do.")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    through = current_app.config["MAIL_SERVER"]
    if current_app.config["DEV_MAILBOX"]:
        through = "the development mailbox"
    click.echo(f"Delivering through {through}; Ctrl+C to stop.")
    while not stop.is_set():
        try:
            report = deliver_pending()
        except Exception:  # a database hiccup must not end the worker; log and go on
            current_app.logger.exception("delivery pass failed")
            report = None
        if report is not None and report.claimed:
            _print_report(report)
        stop.wait(interval)
    click.echo("Stopped.")


@outbox_cli.command("status")
def status_command():
    """Print how many messages are in each state."""
    for status, count in admin.counts().items():
        click.echo(f"{status.value:>8}: {count}")
    if not is_configured():
        click.echo("No mail server configured (MAIL_SERVER): pending messages wait here.")


@outbox_cli.command("list")
@click.option("--status", type=click.Choice([s.value for s in MessageStatus]))
@click.option("--limit", default=20, show_default=True)
def list_command(status, limit):
    """List the most recent messages, newest first."""
    rows = admin.list_messages(status=MessageStatus(status) if status else None, limit=limit)
    if not rows:
        click.echo("The outbox is empty.")
    for row in rows:
        when = moment_text(row.created_at, "en")
        line = (
            f"{row.id:>6}  {row.status.value:<8} {when}  {row.recipient}  {row.subject or row.kind}"
        )
        if row.last_error:
            line += f"  [{row.attempts} attempts; {row.last_error}]"
        click.echo(line)


@outbox_cli.command("show")
@click.argument("message_id", type=int)
def show_command(message_id):
    """Print one message as the recipient would read it (plain-text part), private links removed."""
    row = admin.get_message(message_id)
    if row is None:
        raise click.ClickException(f"There is no message {message_id}.")
    try:
        email = render_for_display(row)
    except RenderError as exc:
        email, reason = None, str(exc)
    subject = email.subject if email else row.subject or ""
    click.echo(f"To: {row.recipient}\nSubject: {subject}\nStatus: {row.status.value}")
    if email is None:
        click.echo(f"\nThis message cannot be shown: {reason}.")
        return
    if attachment_names(email):
        click.echo(f"Attachments: {', '.join(attachment_names(email))}")
    click.echo("")
    click.echo(email.text)


@outbox_cli.command("retry")
@click.argument("message_id", type=int, required=False)
@click.option("--failed", is_flag=True, help="Queue every failed message again.")
def retry_command(message_id, failed):
    """Queue MESSAGE_ID (or, with --failed, every failed message) for delivery again."""
    try:
        count = admin.retry(message_id, failed=failed)
    except admin.OutboxError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} message(s) queued again.")


@mail_cli.command("test")
@click.argument("address")
def test_command(address):
    """Send a sample bilingual message with a calendar invitation to ADDRESS, now."""
    from conference.mailer import samples

    if not is_configured():
        raise click.ClickException(
            "No mail server configured: set MAIL_SERVER (and MAIL_PORT, MAIL_USERNAME, "
            "MAIL_PASSWORD, MAIL_USE_TLS) first."
        )
    try:
        row = samples.queue_test_message(address)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    report = deliver_pending()
    db.session.refresh(row)
    if row.status == MessageStatus.sent:
        click.echo(f"Sent to {row.recipient} through {current_app.config['MAIL_SERVER']}.")
    else:
        raise click.ClickException(
            f"Not sent ({row.status.value}): {row.last_error or report.skipped_reason}"
        )
