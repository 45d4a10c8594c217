"""The volunteers of the scene: forty people on the sample shifts, a minor whose guardian
has not confirmed yet, one who worked a shift, and an arts-track coordinator.

Called by ``scene.build_scene`` once the attendees are there; fills the scene's
volunteer fields (links, ids) so that the page check reaches every volunteer page.
"""

import random
from datetime import timedelta

import sqlalchemy as sa

from conference.access import Role
from conference.accounts import services as accounts
from conference.extensions import db
from conference.tokens import new_token, token_hash
from conference.volunteers import services as volunteers
from conference.volunteers.models import (
    Attendance,
    CoordinatorScope,
    Shift,
    TokenPurpose,
    VolunteerRole,
)

COORDINATOR = "arts.coordinator@forsyria.example"

FIRST = ["Lina", "Omar", "Rami", "Dana", "Yara", "Sami", "Maya", "Karim", "Nadia", "Tarek"]
LAST = ["Haddad", "Khoury", "Nassar", "Halabi", "Kassab", "Sabbagh", "Aswad", "Darwish"]
AR_FIRST = ["لينا", "عمر", "رامي", "دانة", "يارا", "سامي", "مايا", "كريم", "نادية", "طارق"]
AR_LAST = ["حداد", "خوري", "نصار", "حلبي", "قصاب", "صباغ", "أسود", "درويش"]


def add_volunteers(scene, conference, *, admin, password, count=40, seed=2026):
    """Sign ``count`` people up for the sample shifts, as the public form would."""
    rng = random.Random(seed)
    shifts = list(
        db.session.scalars(
            sa.select(Shift).where(Shift.conference_id == conference.id).order_by(Shift.id)
        )
    )
    if not shifts:
        return scene  # no sample roles and shifts: nothing to volunteer for
    for n in range(count):
        arabic = n % 2 == 0
        first, last = (AR_FIRST, AR_LAST) if arabic else (FIRST, LAST)
        free = [s for s in shifts if s.taken < s.max_people and not s.role.adults_only]
        if not free:
            break
        chosen = rng.choice(free)
        db.session.expire_all()
        try:
            volunteers.sign_up(
                conference,
                email=f"volunteer{n}@example.org",
                full_name=f"{rng.choice(first)} {rng.choice(last)}",
                phone=f"+1 (313) 555-{1000 + n}",
                languages=["ar", "en"] if n % 3 else ["ar"],
                age_group="18_24" if n % 4 else "25_plus",
                language="ar" if arabic else "en",
                tshirt_size=rng.choice(["S", "M", "L"]),
                skills=[r.key for r in db.session.scalars(sa.select(VolunteerRole))],
                sessions=[],
                guardian_name=None,
                guardian_email=None,
                privacy_accepted=True,
                shift_ids=[chosen.id],
            )
        except volunteers.VolunteerError:
            db.session.rollback()  # a rule said no: the crowd moves on
    adult = volunteers.find_active_volunteer(conference, "volunteer1@example.org")
    signup = adult.current_signups[0]
    signup.attendance = Attendance.arrived
    signup.attendance_at = signup.shift.starts_at + timedelta(minutes=5)
    scene.volunteer_id = adult.id
    scene.shift_id = signup.shift_id
    scene.role_id = signup.shift.role_id  # its role (the set-up pages)
    scene.volunteer_token = volunteers.mint_token(adult)
    scene.feed_token = new_token()
    adult.feed_token_hash = token_hash(scene.feed_token)
    db.session.commit()

    youth = next(s for s in shifts if s.role.key == "sample-social-youth")
    minor = volunteers.sign_up(
        conference,
        email="young.volunteer@example.org",
        full_name="يارا خوري",
        phone=None,
        languages=["ar", "en"],
        age_group="under_18",
        language="ar",
        tshirt_size="S",
        skills=[],
        sessions=[],
        guardian_name="سامي خوري",
        guardian_email="sami.khoury@example.org",
        privacy_accepted=True,
        shift_ids=[youth.id],
    ).volunteer
    scene.minor_id = minor.id
    scene.guardian_token = volunteers.mint_token(minor, TokenPurpose.guardian)
    db.session.commit()
    coordinator = accounts.create_user(
        COORDINATOR, role=Role.coordinator, name="Rasha Coordinator", password=password
    )
    db.session.add(CoordinatorScope(user_id=coordinator.id, scope="arts"))
    scene.coordinator_id = coordinator.id
    db.session.commit()
    return scene
