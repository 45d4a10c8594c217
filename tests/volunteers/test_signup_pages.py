"""The public sign-up page: each refusal shown next to its shift in both languages, hostile
input answered with a 4xx and nothing saved, the answer page, the closed page."""

import re

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.volunteers import views
from conference.volunteers.models import Shift, Volunteer, VolunteerSettings

from .conftest import BEFORE, shift

AR = {"Accept-Language": "ar"}


@pytest.fixture(autouse=True)
def before_the_conference(monkeypatch):
    monkeypatch.setattr(views, "utcnow", lambda: BEFORE)


def answers(keys=("sample-youth-1",), **changes):
    data = {
        "full_name": "Lina Haddad",
        "email": "lina@example.org",
        "phone": "",
        "languages": ["ar", "en"],
        "age_group": "25_plus",
        "tshirt_size": "",
        "language": "en",
        "shifts": [str(shift(key).id) for key in keys],
        "privacy": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def volunteers():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer))


def test_the_page_shows_the_shifts_by_day_and_track(client, conference):
    html = client.get("/volunteer").get_data(as_text=True)
    assert "Welcome desk" in html
    assert "5 of 5 places left" in html
    assert "Sample" in html


def test_dump(client, conference):
    html = client.get("/volunteer?track=arts").get_data(as_text=True)
    open("/tmp/pub/signup.html", "w").write(html)
    r = client.post("/volunteer", data=answers(["sample-stage-1", "sample-youth-1", "sample-guides-1"], age_group="under_18", guardian_name="Sami", guardian_email="sami@example.org"), headers=AR)
    open("/tmp/pub/refused.html", "w").write(r.get_data(as_text=True))
    assert r.status_code == 400
