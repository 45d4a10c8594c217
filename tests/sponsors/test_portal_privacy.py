"""No personal data reaches a sponsor: a sponsor account walks every GET route of the app
(URL values filled with the seeded people's ids, as the hardening walk fills them) and no
body or header holds a seeded attendee's, volunteer's or story submitter's name, email
or phone. And a small group (3 registrations from one city) reads "fewer than 5".

Private links are the one credential a sponsor does not hold: the walk's own tokens are
those of the walk's people, never of the people seeded here.
"""

import pytest
import sqlalchemy as sa

from conference.accounts.models import User
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.registration import services as registrations
from conference.registration.models import Registration
from conference.showcase.models import Credit
from conference.sponsors.models import SponsorAccount
from conference.volunteers import services as volunteers
from conference.volunteers.models import Shift, Volunteer
from tests.hardening.routes import site, walk  # noqa: F401 - fixtures
from tests.manage.test_authorization import rules_of, signed_in_client
from tests.sponsors.seeding import make_sponsor, make_story

ATTENDEES = [
    (f"Zenobia Quillfeather{n}", f"zenobia.quill{n}@leak.example", f"+1 555 010 {7000 + n}")
    for n in range(13)
]
VOLUNTEERS = [
    ("Octavius Brambleworth", "octavius.bramble@leak.example", "+1 555 019 8881"),
    ("Philippa Thistledown", "philippa.thistle@leak.example", "+1 555 019 8882"),
]
SUBMITTER = ("Submitty Vanderquill", "submitty.vq@leak.example")
SUBJECT = "Hidden Subjectperson"  # credited anonymously: never shown either
SMALL_CITY = "Smallvillequist"
FEWER = {"en": "fewer than 5", "ar": "أقل من 5"}


def _stage_shift():
    """An arts shift anyone adult may take (stage crew: no training asked)."""
    return db.session.scalar(sa.select(Shift.id).filter_by(key="sample-stage-1"))


def _seed(app):
    """The people whose data must never reach a sponsor; returns the secrets and ids."""
    with app.app_context():
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        arts = db.session.scalar(
            sa.select(Track).filter_by(conference_id=conference.id, key="arts")
        )
        sponsor = make_sponsor(conference, tracks=["arts"])
        user = db.session.scalar(sa.select(User).filter_by(email="sponsor@walk.example"))
        db.session.add(SponsorAccount(user=user, sponsor=sponsor))
        people = []
        for n, (name, email, phone) in enumerate(ATTENDEES):
            people.append(
                registrations.register_attendee(
                    conference,
                    email=email,
                    full_name=name,
                    phone=phone,
                    city=SMALL_CITY if n < 3 else "Houston",
                    region="Texas",
                    track_keys=["arts"],
                    language="ar" if n % 2 else "en",
                    privacy_accepted=True,
                ).registration
            )
        people[5].checked_in_at = people[5].created_at
        shift = _stage_shift()
        for name, email, phone in VOLUNTEERS:
            volunteers.sign_up(
                conference,
                email=email,
                full_name=name,
                phone=phone,
                languages=["ar", "en"],
                age_group="25_plus",
                language="en",
                tshirt_size=None,
                skills=[],
                sessions=[],
                guardian_name=None,
                guardian_email=None,
                privacy_accepted=True,
                shift_ids=[shift],
            )
        story = make_story(
            conference,
            arts,
            title="Music across the sea",
            person_name=SUBJECT,
            credit=Credit.anonymous,
            submitter_name=SUBMITTER[0],
            submitter_email=SUBMITTER[1],
        )
        db.session.commit()
        stored = [
            value
            for row in db.session.execute(
                sa.select(Registration.full_name, Registration.email, Registration.phone).where(
                    Registration.email.like("%@leak.example")
                )
            )
            for value in row
        ]
        stored += [
            value
            for row in db.session.execute(
                sa.select(Volunteer.full_name, Volunteer.email, Volunteer.phone).where(
                    Volunteer.email.like("%@leak.example")
                )
            )
            for value in row
        ]
        secrets = {value for value in stored if value} | set(SUBMITTER) | {SUBJECT}
        volunteer = db.session.scalar(sa.select(Volunteer).filter_by(email=VOLUNTEERS[0][1]))
        ids = {
            "registration_id": people[0].id,
            "place_id": people[0].places[0].id,
            "volunteer_id": volunteer.id,
            "signup_id": volunteer.signups[0].id,
            "shift_id": volunteer.signups[0].shift_id,
            "story_id": story.id,
            "track_key": "arts",
        }
        return secrets, ids


def _leaks(response, secrets):
    found = []
    body = response.get_data().decode("utf-8", "replace")  # images and files too
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    for secret in secrets:
        for place, text in (("body", body), ("headers", headers)):
            if secret.lower() in text.lower():
                found.append(f"{secret!r} in the {place}")
    return found


@pytest.fixture
def seeded(walk):  # noqa: F811 - the hardening walk's fixture
    secrets, ids = _seed(walk.app)
    assert len(secrets) >= 3 * 13 + 3 * 2 + 3
    return walk, secrets, ids


def test_a_sponsor_walking_every_url_never_receives_personal_data(seeded):
    site_walk, secrets, ids = seeded
    app = site_walk.app
    client = signed_in_client(app, "sponsor")
    site_walk.known.update(ids)
    problems, opened = [], 0

    for language in ("en", "ar"):
        client.set_cookie("lang", language)
        for rule in rules_of(app):
            if "GET" not in rule.methods:
                continue
            path = site_walk.path(rule)
            response = client.get(path)
            opened += 1
            assert response.status_code < 500, f"GET {path}: {response.status_code}"
            problems += [f"GET {path} ({language}): {leak}" for leak in _leaks(response, secrets)]
            response.close()  # files sent (the favicon, a calendar file) are closed
        for path in ("/sponsor", "/sponsor/summary", "/sponsor/showcase?sponsor=1"):
            response = client.get(path)
            problems += [f"GET {path} ({language}): {leak}" for leak in _leaks(response, secrets)]

    assert opened > 100
    assert problems == []


def test_the_sponsor_reaches_their_pages_on_the_walk(seeded):
    site_walk, _secrets, ids = seeded
    client = signed_in_client(site_walk.app, "sponsor")

    for path in (
        "/sponsor",
        "/sponsor/showcase",
        f"/sponsor/showcase/{ids['story_id']}",
        "/sponsor/impact/arts",
        "/sponsor/summary",
    ):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_small_city_reads_fewer_than_five_and_is_never_named(seeded, language):
    site_walk, _secrets, _ids = seeded
    client = signed_in_client(site_walk.app, "sponsor")
    client.set_cookie("lang", language)

    html = client.get("/sponsor/impact/arts").get_data(as_text=True)

    cities = html[html.index('id="cities-table"') :]
    cities = cities[: cities.index("</table>")]
    assert FEWER[language] in cities
    assert SMALL_CITY not in html
    for path in ("/sponsor", "/sponsor/summary", "/sponsor/showcase"):
        assert SMALL_CITY not in client.get(path).get_data(as_text=True)


def test_the_search_would_catch_a_leak(seeded):
    """The same search over an organizer's view of the seeded attendee finds them: the
    walk above would have noticed."""
    site_walk, secrets, ids = seeded
    client = signed_in_client(site_walk.app, "organizer")

    response = client.get(f"/manage/attendees/{ids['registration_id']}")

    assert response.status_code == 200
    assert _leaks(response, secrets)
