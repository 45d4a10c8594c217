"""What the announcement tests share: the texts of a bulk email, how the deliverer renders
its messages, hostile input."""

import re

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage

TEXTS = {
    "subject": {"ar": "تغيير في البرنامج", "en": "A change to the programme"},
    "body": {
        "ar": "مرحباً بكم.\n\nتبدأ الجلسة الأولى الساعة العاشرة.",
        "en": "Hello everyone.\n\nThe first session starts at ten.",
    },
}
FORM = {
    "subject_ar": TEXTS["subject"]["ar"],
    "body_ar": TEXTS["body"]["ar"],
    "subject_en": TEXTS["subject"]["en"],
    "body_en": TEXTS["body"]["en"],
}


def broadcast_messages(broadcast):
    rendering = outbox.Rendering()  # as the deliverer renders a batch
    return [
        Rendered(row, rendering)
        for row in db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast.id)
            .order_by(OutboxMessage.id)
        )
    ]


class Rendered:
    """A queued row and the message the deliverer makes of it."""

    def __init__(self, row, rendering=None):
        self.row = row
        self.email = outbox.render(row, rendering)
        self.subject = self.email.subject
        self.text_body = self.email.text
        self.html_body = self.email.html
        self.headers = self.email.headers

    def __getattr__(self, name):
        return getattr(self.row, name)


def broadcast_id_of(response):
    return int(re.search(r"/manage/email/(\d+)$", response.headers["Location"])[1])


# Hostile input: never a 500

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u202eevil",
            "<script>alert(1)</script>",
            "{{ 7*7 }}",
            "'; DROP TABLE broadcast; --",
            "😀" * 60,
            "مُحَمَّد" * 40,
            "a" * 25_000,
            "\r\n\r\n",
            "https://",
            "http://x.org/" + "(" * 50,
            "\ud7ff\ue000",
        ]
    ),
    st.text(max_size=300),
)
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
