"""The transactional outbox, as features and operators use it: one name to import.

Features queue what to send (``Intent``) with ``enqueue`` in the transaction of the change
it reports, and register a renderer for each kind of message (``@outbox.renderer``); the
deliverer claims, renders and sends them after the commit. The parts, each in its module:

* ``intents``: queueing (``Intent``, ``enqueue``, ``enqueue_new``, ``enqueue_many``,
  ``enqueue_select``, ``forget_recipient``);
* ``renderers``: the renderer registry (``renderer``, ``Rendering``, ``render``...);
* ``delivery``: claiming and delivering (``deliver_pending``, ``claim_batch``...);
* ``mime``: the message on the wire (``build_message``, ``OutboxMail``);
* ``admin``: counts, lists and retries, for the outbox page and ``flask outbox``.

This module only gathers their public names; nothing in the mailer imports it.
"""

from conference.mailer.admin import OutboxError, counts, list_messages, retry
from conference.mailer.delivery import (
    Claimed,
    DeliveryReport,
    claim_batch,
    deliver_pending,
    is_configured,
)
from conference.mailer.intents import (
    FORGOTTEN,
    Intent,
    deliver_after_request,
    drop_pending,
    enqueue,
    enqueue_many,
    enqueue_new,
    enqueue_select,
    forget_recipient,
)
from conference.mailer.mime import SMTP_POLICY, OutboxMail, attachment_names, build_message
from conference.mailer.renderers import (
    RenderError,
    Rendering,
    render,
    render_for_display,
    renderer,
)

__all__ = [
    "FORGOTTEN",
    "SMTP_POLICY",
    "Claimed",
    "DeliveryReport",
    "Intent",
    "OutboxError",
    "OutboxMail",
    "RenderError",
    "Rendering",
    "attachment_names",
    "build_message",
    "claim_batch",
    "counts",
    "deliver_after_request",
    "deliver_pending",
    "drop_pending",
    "enqueue",
    "enqueue_many",
    "enqueue_new",
    "enqueue_select",
    "forget_recipient",
    "is_configured",
    "list_messages",
    "render",
    "render_for_display",
    "renderer",
    "retry",
]
