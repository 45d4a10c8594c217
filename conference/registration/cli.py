"""``flask registrations import``: sign-ups collected on paper, typed into a spreadsheet.

``flask check``: whether the seats, waiting lists and invitations are as the rules say.
"""

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from conference.content import services as content
from conference.registration import imports, invariants

registrations_cli = AppGroup("registrations", help="Import and manage registrations.")


@registrations_cli.command("import")
@click.argument("spreadsheet", type=click.File("rb"))
def import_command(spreadsheet):
    """Register everyone in SPREADSHEET (CSV or XLSX), skipping (and reporting) rows that
    break a rule or are already registered.

    Columns (a header row is required): email, full_name, tracks, and optionally
    language (ar/en), phone, city, region, needs, photo_consent, registered_at; or the
    headers of the site's own export, in either language. Tracks are keys or names in
    either language, separated by commas or semicolons. CSV files may be UTF-8, UTF-16 or
    Windows-1252, separated by commas, semicolons or tabs. Each person is emailed a
    confirmation with their private link, as if they had registered online. The import
    is recorded in the audit log.
    """
    conference = content.current_conference()
    if conference is None:
        raise click.ClickException("Load the conference first: flask content load")
    name = getattr(spreadsheet, "name", "-")
    with force_locale("en"):
        try:
            table = imports.read(spreadsheet.read(imports.spreadsheets.MAX_READ_BYTES + 1))
        except imports.ImportRefused as refused:
            raise click.ClickException(f"{name}: {refused}") from None
        with click.progressbar(length=len(table.rows), label="Importing", file=None) as bar:
            result = imports.apply(
                conference,
                table,
                file_name=click.format_filename(name, shorten=True),
                progress=lambda: bar.update(1),
            )
        click.echo(
            f"{result.registered} registered ({result.waitlisted} on a waiting list), "
            f"{len(result.skipped)} skipped."
        )
        written = imports.email_reader(table.header)
        for line, cells, reason in result.skipped:
            email = written(cells) or "(no email)"
            click.echo(f"  line {line}: skipped {email}: {reason}", err=True)


@click.command("check")
def check_command():
    """Check the rules the database cannot enforce; exit 1, naming the rows, if one is broken.

    Seats taken equal confirmed places and stay within capacity; waiting lists are in
    arrival order, with nobody waiting where a seat is free; every seated person has an
    invitation; every active registration has a place. Run it after an incident, a
    restore or a fix made by hand. Reads only. Features above registration add their own
    rules (volunteers: places on shifts, overlaps, holds, erased volunteers).
    """
    problems = invariants.check_all()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} broken invariant(s).")
    click.echo("All invariants hold.")
