"""Sponsors, sponsor accounts and stories made straight in the database, for the portal's
tests (the organizers' pages that make them are another part of the app)."""

from datetime import timedelta

from conference.accounts import services as accounts
from conference.clock import utcnow
from conference.content.models import Sponsor
from conference.extensions import db
from conference.showcase.models import Credit, Story, StoryStatus
from conference.sponsors.models import SponsorAccount


def make_sponsor(conference, key="olive", tracks=("arts",), name=None):
    sponsor = Sponsor(
        conference=conference,
        key=key,
        name=name or {"en": f"Sponsor {key.title()}", "ar": f"الراعي {key}"},
        tier="gold",
        tracks=list(tracks),
        position=0,
    )
    db.session.add(sponsor)
    db.session.commit()
    return sponsor


def make_sponsor_account(sponsor, email, password):
    user = accounts.create_user(email, role="sponsor", password=password)
    db.session.add(SponsorAccount(user=user, sponsor=sponsor))
    db.session.commit()
    return user


def make_story(conference, track, **overrides):
    now = utcnow() - timedelta(days=1)
    values = {
        "conference": conference,
        "status": StoryStatus.approved,
        "track": track,
        "language": "en",
        "title": "A bridge of music",
        "body": "We played *together* every week.",
        "person_name": "Rania Subject",
        "credit": Credit.initials,
        "links": [],
        "submitter_name": "Submitter Person",
        "submitter_email": "submitter@example.org",
        "email_language": "en",
        "consent_public": False,
        "consent_sponsors": True,
        "decided_at": now,
        "submitted_at": now,
        "updated_at": now,
        **overrides,
    }
    story = Story(**values)
    db.session.add(story)
    db.session.commit()
    return story
