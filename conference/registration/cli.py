"""``flask registrations import``: sign-ups collected on paper, typed into a spreadsheet.

``flask check``: whether the seats, waiting lists and invitations are as the rules say.
"""

import csv
import re

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from conference.content import services as content
from conference.i18n import translate
from conference.registration import invariants, services

registrations_cli = AppGroup("registrations", help="Import and manage registrations.")

COLUMNS = ("email", "full_name", "tracks", "language", "phone", "city", "region", "needs")
ALIASES = {"name": "full_name", "state": "region", "lang": "language"}


@registrations_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_command(csv_file):
    """Register everyone in CSV_FILE, skipping (and reporting) rows that break a rule.

    Columns (a header row is required): email, full_name, tracks, and optionally
    language (ar/en), phone, city, region, needs. Tracks are keys or names in either
    language, separated by spaces, commas or semicolons. Each person is emailed a
    confirmation with their private link, as if they had registered online.
    """
    conference = content.current_conference()
    if conference is None:
        raise click.ClickException("Load the conference first: flask content load")
    reader = csv.DictReader(csv_file)
    header = {
        ALIASES.get(name.strip().lower(), name.strip().lower()) for name in reader.fieldnames or []
    }
    missing = {"email", "full_name", "tracks"} - header
    if missing:
        raise click.ClickException(f"The CSV file needs the columns: {', '.join(sorted(missing))}")
    rows = list(reader)
    track_names = _track_names(conference)
    registered, skipped = [], []
    with click.progressbar(rows, label="Importing", file=None) as progress:
        for line, row in enumerate(progress, start=2):  # line 1 is the header
            row = {
                ALIASES.get(k.strip().lower(), k.strip().lower()): (v or "")
                for k, v in row.items()
                if k
            }
            keys, unknown = _tracks(row.get("tracks", ""), track_names)
            if unknown:
                skipped.append((line, row.get("email", ""), f"unknown track {', '.join(unknown)}"))
                continue
            try:
                outcome = services.register_attendee(
                    conference,
                    email=row.get("email"),
                    full_name=row.get("full_name"),
                    track_keys=keys,
                    language=(row.get("language") or "en").strip().lower()[:2],
                    phone=row.get("phone"),
                    city=row.get("city"),
                    region=row.get("region"),
                    needs=row.get("needs"),
                    privacy_accepted=True,  # given on the paper form
                    source="import",
                )
            except services.RegistrationError as exc:
                with force_locale("en"):
                    skipped.append((line, row.get("email", ""), str(exc)))
                continue
            registered.append(outcome.registration)
    waiting = sum(1 for r in registered if r.waitlisted_places)
    click.echo(
        f"{len(registered)} registered ({waiting} on a waiting list), {len(skipped)} skipped."
    )
    for line, email, reason in skipped:
        click.echo(f"  line {line}: skipped {email or '(no email)'}: {reason}", err=True)


@click.command("check")
def check_command():
    """Check the rules the database cannot enforce; exit 1, naming the rows, if one is broken.

    Seats taken equal confirmed places and stay within capacity; waiting lists are in
    arrival order, with nobody waiting where a seat is free; every seated person has an
    invitation; every active registration has a place. Run it after an incident, a
    restore or a fix made by hand. Reads only.
    """
    problems = invariants.check()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} broken invariant(s).")
    click.echo("All invariants hold.")


def _track_names(conference):
    names = {}
    for track in conference.tracks:
        for text in (track.key, translate(track.name, "en"), translate(track.name, "ar")):
            names[text.casefold()] = track.key
    return names


def _tracks(text, names):
    keys, unknown = [], []
    for part in re.split(r"[\s,;،]+", text.strip()):
        if not part:
            continue
        key = names.get(part.casefold())
        (keys if key else unknown).append(key or part)
    return keys, unknown
