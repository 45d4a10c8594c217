"""Helpers of the coordinators' page tests: a coordinator with scopes, and volunteers on
the sample shifts of each track."""

from conference.extensions import db
from conference.volunteers.models import CoordinatorScope

from .conftest import shift

# One adult volunteer per track (and one on a general shift), and a minor in social.
PEOPLE = {
    "arts": ("nour@example.org", "Nour Arts", ["sample-guides-1"]),
    "social": ("sami@example.org", "Sami Social", ["sample-youth-1"]),
    "general": ("rana@example.org", "Rana General", ["sample-welcome-2am"]),
}


def coordinator(make_user, *scopes, email="arts.coordinator@forsyria.example"):
    user = make_user("coordinator", email=email)
    for value in scopes:
        db.session.add(CoordinatorScope(user_id=user.id, scope=value))
    db.session.commit()
    return user


def add_scopes(user, *scopes):
    for value in scopes:
        db.session.add(CoordinatorScope(user_id=user.id, scope=value))
    db.session.commit()


def populate(sign_up):
    """Sign up the ``PEOPLE`` and a social minor; return {key: volunteer}."""
    made = {}
    for key, (email, name, keys) in PEOPLE.items():
        skills = ["sample-arts-guides", "sample-setup"]
        made[key] = sign_up(email, keys, full_name=name, skills=skills).volunteer
    made["minor"] = sign_up(
        "young@example.org",
        ["sample-youth-1"],
        full_name="Yara Young",
        age_group="under_18",
        guardian_name="Hala Young",
        guardian_email="hala@example.org",
    ).volunteer
    return made


def shift_id(key):
    return shift(key).id
