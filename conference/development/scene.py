"""A conference in the middle of its sign-ups, made up, for screenshots and page checks.

Three hundred invented people (``flask demo generate``'s crowd: ``example.*`` addresses,
nobody real), a few registered through the service as a visitor would (so they have
phone numbers, cities, private links and confirmation emails in the outbox), one track
full with a waiting list, some people checked in, one cancelled, an email to attendees
sent, and the staff who did it: an administrator and a check-in volunteer.

``docs/screens/shoot.py`` photographs it; ``tests/browser/test_every_page.py`` opens
every page of it in both languages at a phone's and a desktop's width.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from conference.access import Role
from conference.accounts import services as accounts
from conference.accounts.services import INVITE_VALID
from conference.announcements import services as announcements
from conference.announcements.unsubscribe import unsubscribe_token
from conference.checkin import services as checkin
from conference.clock import utcnow
from conference.content import services as content
from conference.development.story_scene import add_stories
from conference.development.volunteer_scene import add_volunteers
from conference.extensions import db
from conference.registration import email_change, import_store, imports, staff_services
from conference.registration import services as registrations
from conference.registration.demo import generate_registrations
from conference.registration.email_change import EmailChange
from conference.registration.models import Place, PlaceStatus, Registration
from conference.registration.queries import Filters
from conference.tokens import new_token, token_hash

ADMIN = "admin@forsyria.example"
DOOR = "door@forsyria.example"
PASSWORD = "a long passphrase for the scene"
# Registered through the form's service: details a real sign-up carries.
VISITORS = [
    ("layla.haddad@example.org", "ليلى حداد", "ar", ["arts"], "+1 (313) 555-0100", "Dearborn"),
    ("layla.h@example.net", "ليلى حداد", "ar", ["arts", "social"], "", "Houston"),
    ("omar@example.org", "عمر الحلبي", "ar", ["social"], "+1 (713) 555-0199", "Houston"),
    ("sam.haddad@example.org", "Sam Haddad", "en", ["arts", "cultural"], "", "Chicago"),
    ("rania@example.org", "Rania Kassab", "en", ["cultural"], "+1 (248) 555-0123", "Troy"),
]


@dataclass
class Scene:
    """What a page check needs to reach every page: ids, codes and links."""

    conference_id: int
    registration_id: int = 0  # a visitor with a seat, a phone number and a city
    waiting_id: int = 0  # someone on a waiting list
    private_token: str = ""  # the first visitor's private link
    checkin_code: str = ""  # the first visitor's check-in code
    broadcast_id: int = 0
    invitation_token: str = ""  # an invited coordinator's link to set a password
    unsubscribe_token: str = ""  # the first visitor's unsubscribe link
    email_change_token: str = ""  # a visitor's link to confirm a new address
    door_id: int = 0  # the check-in volunteer's account
    import_id: int = 0  # an organizer's uploaded sign-up sheet, waiting for confirmation
    volunteer_id: int = 0  # an adult volunteer with a shift they worked
    volunteer_token: str = ""  # their private link
    feed_token: str = ""  # their calendar feed's link
    shift_id: int = 0  # their shift (in the arts track or not: see the sample)
    minor_id: int = 0  # a volunteer under 18 whose guardian has not confirmed yet
    guardian_token: str = ""  # the guardian's confirmation link
    coordinator_id: int = 0  # the arts track's coordinator (COORDINATOR)
    story_token: str = ""  # a success story's private link (its submitter's)
    story_guardian_token: str = ""  # a story about a minor: the guardian's link
    people: dict = field(default_factory=dict)


def build_scene(conference, *, crowd=300, seed=2026, full_track="arts"):
    """Fill an empty database's ``conference`` (content loaded) with the scene; return it."""
    scene = Scene(conference_id=conference.id)
    admin = accounts.create_user(ADMIN, role=Role.admin, name="Hala Admin", password=PASSWORD)
    door = accounts.create_user(DOOR, role=Role.checkin, name="Door volunteer", password=PASSWORD)

    scene.door_id = door.id
    tracks = {track.key: track for track in conference.tracks}
    if full_track in tracks:  # small enough that the crowd fills it and waits
        staff_services.change_capacity(tracks[full_track], crowd // 5, actor=admin)
    # The first visitor came early and has a seat; the crowd fills the small track; the
    # other visitors come after it and some of them wait.
    for index, (email, name, language, wanted, phone, city) in enumerate(VISITORS):
        if index == 1:
            generate_registrations(conference, crowd, seed=seed)
        result = registrations.register_attendee(
            conference,
            email=email,
            full_name=name,
            track_keys=[key for key in wanted if key in tracks],
            language=language,
            privacy_accepted=True,
            phone=phone or None,
            city=city,
        )
        scene.people[email] = result.registration.id
    first = db.session.get(Registration, scene.people[VISITORS[0][0]])
    scene.registration_id = first.id
    scene.private_token = registrations.mint_token(first)
    waiting = next(
        (
            person
            for person in scene.people.values()
            if _waits(db.session.get(Registration, person))
        ),
        scene.people[VISITORS[1][0]],
    )
    scene.waiting_id = waiting
    db.session.commit()

    seated = (
        sa.select(Registration)
        .join(Place)
        .where(Registration.conference_id == conference.id, Place.status == PlaceStatus.confirmed)
    )
    for registration in db.session.scalars(seated.distinct().limit(30)).all():
        checkin.check_in(registration, by=door)
    checkin.check_in(first, by=door)
    scene.checkin_code = first.checkin_code or ""
    staff_services.cancel_attendee(
        db.session.get(Registration, scene.people[VISITORS[-1][0]]), actor=admin
    )

    broadcast = announcements.save_draft(
        conference,
        subject={"en": "Doors open at 9", "ar": "تُفتح الأبواب في التاسعة"},
        body={
            "en": "Questions on the day: call +1 (313) 555-0100 or write to help@forsyria.example.",
            "ar": "للأسئلة يوم المؤتمر: اتصلوا على +1 (313) 555-0100 أو اكتبوا إلى "
            "help@forsyria.example.",
        },
        filters=Filters(track="cultural"),
        author=admin,
    )
    announcements.send_broadcast(broadcast, actor=admin)
    scene.broadcast_id = broadcast.id
    staff_services.view_registration(first, actor=admin)
    invited = accounts.invite_user(
        "coordinator@forsyria.example", role=Role.coordinator, name="Nour", actor=admin
    )
    # The link the invitation email would carry, minted here as its renderer does.
    scene.invitation_token = new_token()
    invited.invite_hash = token_hash(scene.invitation_token)
    invited.invite_expires_at = utcnow() + INVITE_VALID
    scene.unsubscribe_token = unsubscribe_token(first.id)

    omar = db.session.get(Registration, scene.people["omar@example.org"])
    email_change.request_change(omar, "omar.new@example.org")
    change = db.session.scalar(sa.select(EmailChange).filter_by(registration_id=omar.id))
    # The link the email to the new address would carry, minted here as its renderer does.
    scene.email_change_token = new_token()
    change.token_hash = token_hash(scene.email_change_token)
    change.expires_at = utcnow() + email_change.VALID
    sheet = "full_name,email,tracks,language\nهدى سليمان,huda@example.org,arts,ar\n"
    sheet += "Karim Nassar,karim@example.org,cultural,en\nno address,,arts,xx\n"
    pending = import_store.keep(imports.read(sheet.encode()), file_name="paper.csv", actor=admin)
    scene.import_id = pending.id
    add_volunteers(scene, conference, admin=admin, password=PASSWORD)
    add_stories(scene, conference)
    content.bump_content_version(conference)
    db.session.commit()
    return scene


def _waits(registration):
    return any(place.status == PlaceStatus.waitlisted for place in registration.places)
