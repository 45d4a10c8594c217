"""``flask demo generate``: a realistic crowd of made-up attendees, for demos and benchmarks.

The people are invented: Arabic and Latin names from common Syrian given and family
names, addresses on the reserved ``example.*`` domains (RFC 2606), so no one real is
ever emailed. Rows are written with bulk inserts, a batch per transaction, because the
point is 100,000 registrations in seconds; the seat rules still hold: a track confirms
people in arrival order while seats remain and waitlists the rest, and each track's
``seats_taken`` and ``places_waiting`` match its places at the end.

Nothing is queued in the outbox: made-up people get no email.
"""

import random
import uuid
from datetime import timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from conference.clock import utcnow
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.registration.models import (
    Place,
    PlaceStatus,
    Registration,
    RegistrationStatus,
)

demo_cli = AppGroup("demo", help="Make demonstration data (never real people).")

BATCH = 5_000
# (Arabic, Latin) pairs, so a list shows both scripts as the real one will.
GIVEN_NAMES = (
    ("محمد", "Mohammad"),
    ("أحمد", "Ahmad"),
    ("عمر", "Omar"),
    ("خالد", "Khaled"),
    ("يوسف", "Yousef"),
    ("سامر", "Samer"),
    ("رامي", "Rami"),
    ("باسل", "Basel"),
    ("طارق", "Tarek"),
    ("فادي", "Fadi"),
    ("زياد", "Ziad"),
    ("مازن", "Mazen"),
    ("هادي", "Hadi"),
    ("نزار", "Nizar"),
    ("إبراهيم", "Ibrahim"),
    ("فاطمة", "Fatima"),
    ("مريم", "Mariam"),
    ("لينا", "Lina"),
    ("رنا", "Rana"),
    ("هبة", "Heba"),
    ("نور", "Nour"),
    ("سلمى", "Salma"),
    ("ياسمين", "Yasmin"),
    ("دانة", "Dana"),
    ("ريم", "Reem"),
    ("لمى", "Lama"),
    ("غادة", "Ghada"),
    ("سوسن", "Sawsan"),
    ("عبير", "Abeer"),
    ("ملك", "Malak"),
)
FAMILY_NAMES = (
    ("الحلبي", "Al-Halabi"),
    ("الشامي", "Al-Shami"),
    ("الحمصي", "Al-Homsi"),
    ("الإدلبي", "Al-Idlibi"),
    ("الخطيب", "Al-Khatib"),
    ("العلي", "Al-Ali"),
    ("الأحمد", "Al-Ahmad"),
    ("حداد", "Haddad"),
    ("خوري", "Khoury"),
    ("عطار", "Attar"),
    ("قباني", "Kabbani"),
    ("مراد", "Mourad"),
    ("نجار", "Najjar"),
    ("سعيد", "Saeed"),
    ("درويش", "Darwish"),
    ("الزعبي", "Al-Zoubi"),
    ("الدمشقي", "Al-Dimashqi"),
    ("الحسن", "Al-Hassan"),
    ("شهابي", "Shehabi"),
    ("كيالي", "Kayali"),
)
# Where Syrian-American families live, with the state.
PLACES = (
    ("Dearborn", "MI"),
    ("Houston", "TX"),
    ("Los Angeles", "CA"),
    ("Chicago", "IL"),
    ("Brooklyn", "NY"),
    ("Allentown", "PA"),
    ("Paterson", "NJ"),
    ("Boston", "MA"),
    ("Washington", "DC"),
    ("Jacksonville", "FL"),
    ("Columbus", "OH"),
    ("Anaheim", "CA"),
    ("ديربورن", "ميشيغان"),
    ("هيوستن", "تكساس"),
)
DOMAINS = ("example.com", "example.org", "example.net")


def generate_registrations(conference, count, *, seed=None, progress=None):
    """Add ``count`` made-up registrations to ``conference``; return how many were added.

    About one in twenty is cancelled. Each active one chooses one to three tracks and gets
    a seat on each while seats remain, a place on the waiting list after that.
    ``progress``, if given, is called with the number of rows written after each batch.
    """
    rng = random.Random(seed)
    tracks = db.session.scalars(
        sa.select(Track).where(Track.conference_id == conference.id).order_by(Track.id)
    ).all()
    if not tracks:
        raise ValueError("the conference has no tracks")
    seats_left = {track.id: max(track.capacity - track.seats_taken, 0) for track in tracks}
    tag = uuid.uuid4().hex[:6]  # a second run never reuses an address
    end = utcnow()
    start = end - timedelta(days=30)
    span = (end - start).total_seconds()
    # Arrival times in order, so ids and waiting lists follow arrival as they do live.
    times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    insert_registrations = sa.insert(Registration).returning(
        Registration.id, sort_by_parameter_order=True
    )

    written = 0
    for batch_start in range(0, count, BATCH):
        people = [
            _person(rng, conference.id, f"{tag}{n}", times[n], tracks)
            for n in range(batch_start, min(batch_start + BATCH, count))
        ]
        ids = db.session.scalars(insert_registrations, [row for row, _ in people]).all()
        places = []
        for reg_id, (row, chosen) in zip(ids, people, strict=True):
            if row["status"] != RegistrationStatus.active:
                continue
            for track in chosen:
                confirmed = seats_left[track.id] > 0
                if confirmed:
                    seats_left[track.id] -= 1
                places.append(
                    {
                        "registration_id": reg_id,
                        "track_id": track.id,
                        "status": (PlaceStatus.confirmed if confirmed else PlaceStatus.waitlisted),
                        "created_at": row["created_at"],
                        "confirmed_at": row["created_at"] if confirmed else None,
                    }
                )
        if places:
            db.session.execute(sa.insert(Place), places)
        db.session.commit()
        written += len(people)
        if progress:
            progress(len(people))

    if db.engine.dialect.name == "postgresql":
        # A bulk load leaves the planner's statistics stale until autovacuum gets to it:
        # the attendee list would scan every place for a page of 50 in the meantime.
        db.session.execute(sa.text("ANALYZE registration, place"))
    counts = {
        (track_id, status): count
        for track_id, status, count in db.session.execute(
            sa.select(Place.track_id, Place.status, sa.func.count())
            .where(Place.track_id.in_([track.id for track in tracks]))
            .group_by(Place.track_id, Place.status)
        )
    }
    for track in tracks:
        track.seats_taken = counts.get((track.id, PlaceStatus.confirmed), 0)
        track.places_waiting = counts.get((track.id, PlaceStatus.waitlisted), 0)
    db.session.commit()
    return written


def _person(rng, conference_id, unique, created_at, tracks):
    given_ar, given_en = rng.choice(GIVEN_NAMES)
    family_ar, family_en = rng.choice(FAMILY_NAMES)
    arabic = rng.random() < 0.6
    city, region = rng.choice(PLACES) if rng.random() < 0.7 else (None, None)
    cancelled = rng.random() < 0.05
    local = f"{given_en}.{family_en}".lower().replace("-", "")
    row = {
        "conference_id": conference_id,
        "status": (RegistrationStatus.cancelled if cancelled else RegistrationStatus.active),
        "email": f"{local}.{unique}@{rng.choice(DOMAINS)}",
        "full_name": (f"{given_ar} {family_ar}" if arabic else f"{given_en} {family_en}"),
        "phone": f"+1 555 01{rng.randrange(100):02d}" if rng.random() < 0.5 else None,
        "city": city,
        "region": region,
        "language": "ar" if arabic else "en",
        "needs": None,
        "photo_consent": rng.random() < 0.5,
        "privacy_accepted_at": created_at,
        "source": "web",
        "submission_id": None,
        "ics_uid": f"{uuid.uuid4()}@demo",
        "ics_sequence": 0,
        "announcements_opt_out": False,
        "created_at": created_at,
        "updated_at": created_at,
        "cancelled_at": created_at if cancelled else None,
    }
    chosen = rng.sample(tracks, k=min(len(tracks), rng.choice((1, 1, 2, 2, 3))))
    return row, sorted(chosen, key=lambda track: track.id)


@demo_cli.command("generate")
@click.option(
    "--registrations",
    "count",
    type=click.IntRange(min=1, max=1_000_000),
    required=True,
    help="How many made-up registrations to add.",
)
@click.option("--seed", type=int, default=None, help="Make the same people every time.")
def generate_command(count, seed):
    """Add made-up registrations (Arabic and Latin names, example.* addresses)."""
    conference = content.current_conference()
    if conference is None:
        raise click.ClickException("Load the conference first: flask content load")
    with click.progressbar(length=count, label="Generating registrations") as bar:
        written = generate_registrations(conference, count, seed=seed, progress=bar.update)
    click.echo(f"Added {written} registrations to {conference.slug}.")
