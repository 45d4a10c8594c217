"""``flask content load`` and ``flask content sample``: organizers' content commands."""

from pathlib import Path

import click
from flask.cli import AppGroup

from conference.content import services
from conference.i18n import moment_text

content_cli = AppGroup("content", help="Load the conference facts and the sample programme.")


def _print(report, what):
    for kept in report.kept:
        by = f" ({kept.set_by})" if kept.set_by else ""
        click.echo(
            f"  tracks.{kept.track}.capacity: kept {kept.capacity} seats set by organizers on "
            f"{moment_text(kept.set_at, 'en')}{by}; the file says {kept.file_capacity} "
            "(use --reset-capacities to apply it)"
        )
    for kept in report.kept_edited:
        click.echo(f"  {kept}")
    if not report.changed:
        click.echo(f"{what}: already up to date.")
        return
    for verb, items in (
        ("added", report.created),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        for item in items:
            click.echo(f"  {verb} {item}")
    click.echo(f"{what}: loaded.")


@content_cli.command("load")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--reset-capacities",
    is_flag=True,
    help="Apply the file's capacities to tracks whose capacity organizers changed, too.",
)
def load_command(path, reset_capacities):
    """Load or update the conference from PATH (default: the shipped content file).

    A capacity organizers changed in the back office is kept, and said so, unless
    --reset-capacities is given.
    """
    try:
        report = services.load_content_file(
            path or services.CONTENT_FILE, reset_capacities=reset_capacities
        )
    except services.ContentError as exc:
        raise click.ClickException(str(exc)) from None
    _print(report, "Conference content")


@content_cli.command("sample")
@click.option("--remove", is_flag=True, help="Remove the sample programme instead.")
def sample_command(remove):
    """Load the clearly labelled SAMPLE programme (for demos and tests only)."""
    conference = services.current_conference()
    if conference is None:
        raise click.ClickException("Load the conference first: flask content load")
    try:
        if remove:
            report = services.remove_sample_programme(conference)
        else:
            report = services.load_sample_programme(
                conference, services.read_toml(services.SAMPLE_FILE)
            )
    except services.ContentError as exc:
        raise click.ClickException(str(exc)) from None
    _print(report, "Sample programme")
