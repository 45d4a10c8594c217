"""The showcase's emails, read from the outbox: each in the recipient's language, the
private links minted at rendering (only their hash stored), none on the outbox page, and
no typed text in a subject."""

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.rendering import PRIVATE_LINK_REMOVED
from conference.showcase import changes, consent, submission
from conference.showcase.models import StoryToken, TokenPurpose

from .conftest import delivered, make_story, messages, minor_story, token_in


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_message_is_in_the_submitter_s_language(conference, language):
    story = minor_story(conference, email_language=language, title="Title <i>x</i>")
    rendered = {"showcase.guardian_request": outbox.render_for_display(messages()[-1])}
    changes.confirm_guardian(story, language=language)
    submission.send_links(conference, story.submitter_email)
    changes.withdraw(story, by_role=consent.SUBMITTER, language=language)
    kinds = {row.kind: row for row in messages()}
    assert set(kinds) == {
        "showcase.confirmation",
        "showcase.guardian_request",
        "showcase.guardian_confirmed",
        "showcase.link",
        "showcase.withdrawn",
    }
    for kind, row in kinds.items():
        assert row.language == language
        email = rendered.get(kind) or outbox.render_for_display(row)
        assert f'lang="{language}"' in email.html
        assert "Title" not in email.subject
        assert "<i>" not in email.html
        assert "Title &lt;i&gt;x&lt;/i&gt;" in email.html
        if language == "ar":
            assert any("\u0600" <= char <= "\u06ff" for char in email.subject)


def test_links_are_minted_when_sent_and_hidden_on_the_outbox_page(conference):
    story = make_story(conference)
    (row,) = messages("showcase.confirmation")
    shown = outbox.render_for_display(row)
    assert str(PRIVATE_LINK_REMOVED) in shown.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoryToken)) == 0
    email = delivered(row)
    token = token_in(email.text, "mine")
    assert token
    assert token in email.html
    (stored,) = db.session.scalars(sa.select(StoryToken)).all()
    assert stored.purpose is TokenPurpose.manage
    assert stored.token_hash != token
    assert submission.find_by_token(token) == story


def test_the_guardian_is_asked_at_their_own_address_with_their_own_link(conference):
    story = minor_story(conference)
    row = messages("showcase.guardian_request")[0]
    assert (row.recipient, row.recipient_name) == ("huda@example.org", "Huda Haddad")
    email = delivered(row)
    token = token_in(email.text, "guardian")
    assert submission.find_by_token(token, TokenPurpose.guardian) == story
    assert "Omar Haddad" in email.text  # who asked
    assert "omar@example.org" not in email.text  # but not their address
    changes.confirm_guardian(story, language="en")
    with pytest.raises(outbox.RenderError):  # answered: a late request is not sent
        outbox.render(row)
