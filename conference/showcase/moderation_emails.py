"""The moderation's email to a submitter: their story was not accepted, and why.

Queued through the outbox in the transaction of the decision, rendered at delivery in
the language the submitter chose (``Story.email_language``). The snapshot holds the
reason as the organizer wrote it then; the story's title is read at delivery.
"""

from conference import richtext
from conference.extensions import db
from conference.i18n import direction
from conference.mailer import outbox
from conference.mailer.outbox import Intent
from conference.mailer.rendering import render_email
from conference.showcase.models import Story
from conference.text import isolate

REJECTED = "showcase.rejected"


def queue_rejected(story):
    """Queue the rejection email for ``story``'s submitter (no commit)."""
    return outbox.enqueue(
        Intent(
            kind=REJECTED,
            recipient=story.submitter_email,
            recipient_name=story.submitter_name,
            language=story.email_language,
            snapshot={"story": story.id, "reason": story.reject_reason or ""},
        )
    )


@outbox.renderer(REJECTED)
def _render_rejected(row, rendering):
    snapshot = row.snapshot or {}
    story = db.session.get(Story, snapshot.get("story") or 0)
    if story is None:
        raise outbox.RenderError("the story no longer exists")
    rtl = direction(row.language) == "rtl"
    reason = snapshot.get("reason") or ""
    title = richtext.plain(story.title)
    return render_email(
        "showcase/rejected",
        to=row.recipient,
        name=row.recipient_name,
        language=row.language,
        story_title=title,
        story_title_text=isolate(title) if rtl else title,
        story_language=story.language,
        reason=reason,
        reason_text=isolate(reason) if rtl and reason else reason,
        contact_email=story.conference.contact_email,
    )
