"""Every GET page of the app, opened by someone who may see it, with real objects behind it.

This builds on the access walk of ``tests/manage/test_authorization.py`` (its ``site``
fixture, URL values and sign-in) and adds what that walk leaves as "not found": a
private link with a seat (so its calendar file exists), an invitation, an unsubscribe
link, a check-in code, a draft email, and the session state that the "we sent it" pages
and the sign-in code step read. Public pages are opened anonymously; staff pages by an
admin, or by the first role that may open them.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from werkzeug.routing import Rule

from conference.access import PUBLIC, Role, access_of
from conference.accounts import services as accounts
from conference.accounts import two_factor
from conference.accounts.models import User
from conference.accounts.views import PENDING
from conference.announcements import services as announcements
from conference.announcements.unsubscribe import unsubscribe_token
from conference.clock import utcnow
from conference.content import services as content
from conference.content.models import Sponsor
from conference.extensions import db
from conference.images import StoredImage
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.registration import checkin_code, import_store, imports
from conference.registration import services as registrations
from conference.registration.email_change import EmailChange
from conference.registration.models import Registration
from conference.registration.queries import Filters
from conference.registration.views import CHANGED_EMAIL, LINK_EMAIL, REGISTERED_EMAIL
from conference.showcase import submission
from conference.showcase import views as showcase_views
from conference.showcase.models import Story
from conference.showcase.models import TokenPurpose as StoryTokenPurpose
from conference.tokens import new_token, token_hash
from conference.volunteers import services as volunteers
from conference.volunteers.models import Shift, TokenPurpose

from ..manage.test_authorization import rules_of, signed_in_client, site, url_values

__all__ = ["Page", "SiteWalk", "site", "walk"]


@dataclass
class Page:
    rule: Rule
    path: str
    who: str  # "anonymous" or a role
    response: object


@dataclass
class SiteWalk:
    app: object
    known: dict
    by_endpoint: dict  # endpoint: {variable: value}, where a name means something else
    anonymous_session: dict  # what a visitor's session holds before each request
    headers: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)

    def path(self, rule):
        values = {**url_values(rule, self.known), **self.by_endpoint.get(rule.endpoint, {})}
        return self.app.url_map.bind("localhost").build(rule.endpoint, values)

    def who(self, rule):
        access = access_of(self.app.view_functions[rule.endpoint])
        if access == PUBLIC or not access:
            return "anonymous"
        return Role.admin.value if Role.admin in access else min(r.value for r in access)

    def client(self, who):
        if who not in self.clients:
            self.clients[who] = signed_in_client(self.app, who)
        return self.clients[who]

    def get(self, path, who="anonymous"):
        client = self.client(who)
        if who == "anonymous":
            with client.session_transaction() as session:
                session.update(self.anonymous_session)
        response = client.get(path, headers=self.headers)
        response.close()  # files sent (the favicon, a calendar file) are closed
        return response

    def pages(self):
        """Yield a ``Page`` for every GET rule of the URL map, static files aside."""
        for rule in rules_of(self.app):
            if "GET" in rule.methods:
                who = self.who(rule)
                path = self.path(rule)
                yield Page(rule, path, who, self.get(path, who))


def _minted_invitation(user):
    """The token of ``user``'s queued invitation, minted as the deliverer would."""
    row = db.session.scalar(
        db.select(OutboxMessage)
        .filter_by(kind="accounts.invitation", recipient=user.email)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    rendering = outbox.Rendering()
    text = outbox.render(row, rendering).text
    rendering.write()
    db.session.commit()
    link = next(word for word in text.split() if "/manage/invitation/" in word)
    return link.rsplit("/", 1)[1]


def _a_shown_image():
    """The key and width of an image that is served (a sample story's picture)."""
    row = db.session.execute(
        db.select(StoredImage.key, StoredImage.width).filter_by(visible=True).limit(1)
    ).one()
    return {"key": row.key, "width": row.width}


def _an_svg_logo():
    """The id of a sponsor with an SVG logo (a sample sponsor's)."""
    return db.session.scalar(db.select(Sponsor.id).where(Sponsor.logo_svg.is_not(None)))


@pytest.fixture
def walk(site):
    """A ``SiteWalk`` over the ``site`` fixture's app, with every URL leading to a page."""
    app, known = site
    with app.app_context():
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        seated = db.session.scalar(
            db.select(Registration).filter_by(email="walk0@example.org")  # has the arts seat
        )
        admin = db.session.scalar(db.select(User).filter_by(role=Role.admin))
        invited = accounts.create_user("invited@walk.example", role=Role.organizer)
        accounts.send_invitation(invited, actor=admin)
        invitation = _minted_invitation(invited)
        draft = announcements.save_draft(
            conference,
            subject={"ar": "تجربة", "en": "A test"},
            body={"ar": "مرحباً.", "en": "Hello."},
            filters=Filters(),
            author=admin,
        )
        table = imports.read(b"email,full_name,tracks\nnot-an-address,Someone,arts\n")
        done = import_store.keep(table, file_name="paper.csv", actor=admin)
        import_store.confirm(conference, done, actor=admin)  # its result page, its skipped rows
        signup = volunteers.sign_up(
            conference,
            email="walk.volunteer@example.org",
            full_name="Walk Volunteer",
            phone=None,
            languages=["ar", "en"],
            age_group="25_plus",
            language="en",
            tshirt_size=None,
            skills=[],
            sessions=[],
            guardian_name=None,
            guardian_email=None,
            privacy_accepted=True,
            shift_ids=[db.session.scalar(db.select(Shift.id).filter_by(key="sample-youth-1"))],
        ).signups[0]
        volunteer_token = volunteers.mint_token(signup.volunteer)
        db.session.commit()
        feed_token = volunteers.new_feed_token(signup.volunteer)
        minor = volunteers.sign_up(
            conference,
            email="walk.minor@example.org",
            full_name="Walk Minor",
            phone=None,
            languages=["ar", "en"],
            age_group="under_18",
            language="ar",
            tshirt_size=None,
            skills=[],
            sessions=[],
            guardian_name="Walk Guardian",
            guardian_email="walk.guardian@example.org",
            privacy_accepted=True,
            shift_ids=[db.session.scalar(db.select(Shift.id).filter_by(key="sample-youth-2"))],
        ).volunteer
        guardian_token = volunteers.mint_token(minor, TokenPurpose.guardian)
        # A sponsor of the arts track, whose portal the admin previews; a sample story.
        db.session.add(
            Sponsor(
                conference=conference,
                key="walk-sponsor",
                name={"en": "Walk Sponsor", "ar": "راعي الجولة"},
                tracks=["arts"],
            )
        )
        story = submission.submit(
            conference,
            title="<b>Walk</b> story",
            body="A story <script>alert(1)</script>",
            language="en",
            person_name="Walk Person",
            track_key="arts",
            submitter_name="Walk Submitter",
            submitter_email="walk.story@example.org",
            email_language="ar",
            credit="initials",
            consent_public=True,
            consent_sponsors=True,
            subject_is_minor=True,
            guardian_name="Walk Guardian",
            guardian_email="walk.story.guardian@example.org",
            photos=[],
        )
        story_token = submission.mint_token(story)
        story_guardian_token = submission.mint_token(story, StoryTokenPurpose.guardian)
        values = {
            "story_id": db.session.scalar(db.select(Story.id).order_by(Story.id).limit(1)),
            "token": registrations.mint_token(seated),
            "broadcast_id": draft.id,
            "import_id": done.id,
            "volunteer_id": signup.volunteer_id,
            "shift_id": signup.shift_id,
            "signup_id": signup.id,
            # A sample story: approved and shown publicly.
        }
        change_token = new_token()
        db.session.add(
            EmailChange(
                registration_id=seated.id,
                new_email="walk-new@example.org",
                token_hash=token_hash(change_token),
                expires_at=utcnow() + timedelta(hours=1),
                created_at=utcnow(),
            )
        )
        by_endpoint = {
            "registration.confirm_email": {"token": change_token},
            "accounts.accept_invitation": {"token": invitation},
            "subscription.unsubscribe": {"token": unsubscribe_token(seated.id)},
            "checkin.code": {"code": checkin_code.ensure_checkin_code(seated)},
            "site.set_language": {"code": "ar"},
            "media.image": _a_shown_image(),
            "sponsors.logo_svg": {"sponsor_id": _an_svg_logo()},
            "volunteer.guardian": {"token": guardian_token},
            "showcase.guardian": {"token": story_guardian_token},
            **{
                endpoint: {"token": story_token}
                for endpoint in (
                    "showcase.mine",
                    "showcase.edit",
                    "showcase.change_consent",
                    "showcase.withdraw",
                )
            },
            "volunteer_feed.ics": {"feed_token": feed_token},
            **{
                endpoint: {"token": volunteer_token}
                for endpoint in (
                    "volunteer.manage",
                    "volunteer.add_shifts",
                    "volunteer.drop",
                    "volunteer.erase",
                    "volunteer_feed.manage",
                    "volunteer_certificate.show",
                )
            },
        }
        anonymous_session = {
            REGISTERED_EMAIL: "walk0@example.org",
            LINK_EMAIL: "walk0@example.org",
            CHANGED_EMAIL: "walk0@example.org",
            PENDING: two_factor.pending_sign_in(admin),
            showcase_views.SUBMITTED: {
                "email": "walk.story@example.org",
                "guardian": "g@example.org",
            },
            showcase_views.LINK_EMAIL: "walk.story@example.org",
        }
        db.session.commit()
    return SiteWalk(app, {**known, **values}, by_endpoint, anonymous_session)
