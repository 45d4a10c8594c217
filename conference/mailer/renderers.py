"""The renderer registry: each feature says how to turn its kind of message into an email.

The outbox stores what to send, not the rendered message: the deliverer renders each
message after claiming it, and the outbox page renders it again for organizers to read
(``render_for_display``), its private links removed.
"""

import base64
import re
from dataclasses import dataclass, field

from conference.extensions import db
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, Attachment, Email

_renderers = {}


class RenderError(Exception):
    """A message cannot be rendered (its registration is gone, say). Safe to show organizers."""


def renderer(kind):
    """Register ``function(row, rendering) -> Email`` as the renderer of ``kind`` messages.

    The mailer imports no feature: each feature registers its renderers when its module
    is imported by the feature's ``init_app``. A renderer reads what it needs (the
    registration, the tracks) and never writes: it asks ``rendering`` to (``stage``).
    """

    def register(function):
        _renderers[kind] = function
        return function

    return register


@dataclass
class Rendering:
    """The rendering of one batch of messages: what it shares, and the rows it must write.

    ``display`` renders for organizers to read (the outbox page, ``flask outbox show``):
    renderers then mint no private link and show ``PRIVATE_LINK_REMOVED`` instead.
    ``cache`` lets a renderer do once per batch what every message shares (a bulk email's
    body in each language). ``stage`` collects writes (a private link's hash: a statement
    and its parameters) that ``write`` runs in one short transaction, one executemany per
    statement, before any of the batch is sent.
    """

    display: bool = False
    cache: dict = field(default_factory=dict)
    staged: list = field(default_factory=list)
    # The rows of the batch (the deliverer's claim), so that a renderer can read what
    # they are about in one query for all of them rather than one per message.
    rows: list = field(default_factory=list)

    def stage(self, statement, **params):
        self.staged.append((statement, params))

    def write(self):
        """Run the staged writes, one executemany per statement, in the current transaction."""
        by_statement = {}
        for statement, params in self.staged:
            by_statement.setdefault(statement, []).append(params)
        self.staged = []
        for statement, rows in by_statement.items():
            db.session.execute(statement, rows)


def render(row, rendering=None):
    """Return the ``Email`` for outbox ``row``, rendered now.

    :raises RenderError: the message cannot be rendered (say why).
    """
    rendering = rendering or Rendering()
    if not row.recipient:
        raise RenderError("its recipient was erased")
    legacy = (row.snapshot or {}).get("_rendered")
    if legacy is not None:
        return _legacy_email(row, legacy, display=rendering.display)
    function = _renderers.get(row.kind)
    if function is None:
        raise RenderError(f"no renderer for messages of kind {row.kind!r}")
    return function(row, rendering)


def render_for_display(row):
    """The message as organizers may read it: rendered again, its private links removed.

    Mints nothing and writes nothing.
    """
    return render(row, Rendering(display=True))


# A private link in a message rendered before the outbox stored intents (see migration
# 0005): "/registration/<token>" or "/invitation/<token>", up to the end of the link.
_STORED_LINK = re.compile(r"https?://[^\s<>\"']*/(?:registration|invitation)/[^\s<>\"']+")


def _legacy_email(row, rendered, *, display):
    """The message as it was rendered before migration 0005, stored in the snapshot."""

    def shown(text):
        return _STORED_LINK.sub(str(PRIVATE_LINK_REMOVED), text) if display and text else text

    return Email(
        kind=row.kind,
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        language=row.language,
        subject=rendered.get("subject") or "",
        text=shown(rendered.get("text") or ""),
        html=shown(rendered.get("html") or ""),
        calendar=(rendered.get("calendar") or "").encode("utf-8") or None,
        attachments=[
            Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
            for a in rendered.get("attachments") or []
        ],
        headers={k: shown(v) for k, v in (rendered.get("headers") or {}).items()},
    )
