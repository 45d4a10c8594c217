"""Showcase emails: what to send (``Intent``s, queued by ``submission`` in the transaction
of the change) and, below, how each kind is rendered at delivery, in the language the
submitter chose (the guardian's message too: they are asked by the same family).

The story's words never reach a message as HTML: a message shows its title and a short
plain-text beginning (``richtext.excerpt``), escaped in the HTML part and isolated by
direction in both, so markup, scripts, bidi overrides or hidden characters in a story are
shown as harmless text or not at all. Subjects carry no typed text.

Private links are minted when a message is rendered (only their hash is written, through
``Rendering.stage``); the outbox page shows ``PRIVATE_LINK_REMOVED`` instead. A guardian's
link is minted only while the story still waits for them.
"""

import sqlalchemy as sa

from conference import richtext
from conference.clock import utcnow
from conference.extensions import db
from conference.i18n import direction
from conference.mailer import outbox
from conference.mailer.outbox import Intent
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, render_email
from conference.showcase.models import Story, StoryStatus, StoryToken, TokenPurpose
from conference.text import isolate
from conference.tokens import new_token, token_hash
from conference.urls import external_url

CONFIRMATION = "showcase.confirmation"  # we have your story: your private link
GUARDIAN_REQUEST = "showcase.guardian_request"  # to the guardian: confirm, please
GUARDIAN_CONFIRMED = "showcase.guardian_confirmed"  # to the submitter: they confirmed
WITHDRAWN = "showcase.withdrawn"  # consent withdrawn: shown nowhere now
LINK_AGAIN = "showcase.link"  # a lost link, asked for again


def _to_submitter(story, kind, **snapshot):
    return Intent(
        kind=kind,
        recipient=story.submitter_email,
        recipient_name=story.submitter_name,
        language=story.email_language,
        snapshot={"story": story.id, **snapshot},
    )


def confirmation(story):
    return _to_submitter(story, CONFIRMATION)


def guardian_request(story):
    return Intent(
        kind=GUARDIAN_REQUEST,
        recipient=story.guardian_email,
        recipient_name=story.guardian_name,
        language=story.email_language,
        snapshot={"story": story.id},
    )


def guardian_confirmed(story):
    return _to_submitter(story, GUARDIAN_CONFIRMED)


def withdrawn(story, by_role):
    return _to_submitter(story, WITHDRAWN, by=by_role)


def link_again(story):
    return _to_submitter(story, LINK_AGAIN)


# ---------------------------------------------------------------------------------------
# Rendering (in the deliverer, after the commit)


def _mint(purpose, address, statuses):
    """The insert of a private link's hash, made only for a story still at that address
    (and, for the guardian, still waiting for them)."""
    return StoryToken.__table__.insert().from_select(
        ["story_id", "purpose", "token_hash", "created_at"],
        sa.select(
            Story.id,
            sa.literal(purpose, type_=StoryToken.__table__.c.purpose.type),
            sa.bindparam("token_hash", type_=sa.String(64)),
            sa.bindparam("created_at", type_=sa.DateTime()),
        ).where(
            Story.id == sa.bindparam("story_id"),
            Story.status.in_(statuses),
            address == sa.bindparam("address"),
        ),
    )


_MINT = {
    TokenPurpose.manage: _mint(TokenPurpose.manage, Story.submitter_email, list(StoryStatus)),
    TokenPurpose.guardian: _mint(
        TokenPurpose.guardian,
        Story.guardian_email,
        [StoryStatus.awaiting_guardian, StoryStatus.submitted, StoryStatus.approved],
    ),
}
_ENDPOINTS = {TokenPurpose.manage: "showcase.mine", TokenPurpose.guardian: "showcase.guardian"}


class _View:
    """A showcase message's row, with what its templates need, read now."""

    def __init__(self, row, rendering):
        self.row = row
        self.rendering = rendering
        self.snapshot = row.snapshot or {}
        story = db.session.get(Story, self.snapshot.get("story") or 0)
        if story is None:
            raise outbox.RenderError("its story no longer exists")
        self.story = story
        self.language = row.language

    def private_url(self, purpose=TokenPurpose.manage):
        """A new private link, minted now; only its hash is written (``Rendering.stage``)."""
        if self.rendering.display:
            return PRIVATE_LINK_REMOVED
        token = new_token()
        self.rendering.stage(
            _MINT[purpose],
            story_id=self.story.id,
            address=self.row.recipient,
            token_hash=token_hash(token),
            created_at=utcnow(),
        )
        return external_url(_ENDPOINTS[purpose], token=token)

    def render(self, name, **context):
        story = self.story
        title = richtext.plain(story.title)
        return render_email(
            f"showcase/{name}",
            to=self.row.recipient,
            name=self.row.recipient_name,
            language=self.language,
            story=story,
            conference=story.conference,
            contact_email=story.conference.contact_email,
            # Typed text: isolated in the text part, in its own direction in the HTML.
            story_title=title,
            story_title_text=isolate(title),
            story_excerpt=richtext.excerpt(story.body, 300),
            story_dir=direction(story.language),
            **context,
        )


@outbox.renderer(CONFIRMATION)
def _render_confirmation(row, rendering):
    view = _View(row, rendering)
    return view.render("confirmation", manage_url=view.private_url())


@outbox.renderer(LINK_AGAIN)
def _render_link(row, rendering):
    view = _View(row, rendering)
    return view.render("link", manage_url=view.private_url())


@outbox.renderer(GUARDIAN_REQUEST)
def _render_guardian_request(row, rendering):
    view = _View(row, rendering)
    story = view.story
    if story.guardian_confirmed_at is not None or story.status in (
        StoryStatus.withdrawn,
        StoryStatus.rejected,
    ):
        raise outbox.RenderError("the guardian has answered or the story was withdrawn")
    name = story.submitter_name
    return view.render(
        "guardian_request",
        guardian_url=view.private_url(TokenPurpose.guardian),
        submitter_text=isolate(name),
        submitter=name,
    )


@outbox.renderer(GUARDIAN_CONFIRMED)
def _render_guardian_confirmed(row, rendering):
    view = _View(row, rendering)
    return view.render("guardian_confirmed", manage_url=view.private_url())


@outbox.renderer(WITHDRAWN)
def _render_withdrawn(row, rendering):
    view = _View(row, rendering)
    return view.render("withdrawn", by=view.snapshot.get("by"))
