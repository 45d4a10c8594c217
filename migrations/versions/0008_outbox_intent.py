"""The outbox stores what to send, not the rendered message

Revision ID: 0008_outbox_intent
Revises: 0007_staff_sign_in
Create Date: 2026-12-02 09:10:00

Adds ``registration_id`` and ``snapshot`` (the values a message shows, as JSON) and drops
the rendered columns (``text_body``, ``html_body``, ``calendar``, ``calendar_method``,
``attachments``, ``headers``); ``subject`` stays, filled in when a message is rendered
for sending.

Rows already in the outbox when the database is upgraded:

* not yet sent (pending, sending, failed): their rendered message moves into the
  snapshot, under ``_rendered``, and the deliverer sends it as it is (private link
  included: it was minted when they were queued). Like every "_" key of a snapshot, it is
  dropped once the message is sent, so that no working link stays in the outbox.
* sent: their rendered message is dropped. The row keeps what was sent to whom and when;
  the outbox page says it cannot be shown.

Downgrading puts the rendered columns back: unsent rows of the old kind get their
message back; every other row gets empty columns (an intent cannot be rendered without
the application, so those messages show empty in the older release).
"""

import json
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_outbox_intent"
down_revision = '0007_staff_sign_in'
branch_labels = None
depends_on = None

RENDERED = ("text_body", "html_body", "calendar", "calendar_method", "attachments", "headers")


def _json(value):
    if value is None or isinstance(value, (dict, list)):
        return value
    return json.loads(value)


def _method(calendar):
    found = re.search(r"^METHOD:([A-Z-]+)\r?$", calendar or "", re.MULTILINE)
    return found[1] if found else None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, status, subject, text_body, html_body, calendar, attachments, headers"
            " FROM outbox_message"
        )
    ).all()
    update = sa.text("UPDATE outbox_message SET snapshot = :snapshot WHERE id = :id")
    for row in rows:
        snapshot = {}
        if row.status != "sent" and row.text_body:
            snapshot["_rendered"] = {
                "subject": row.subject,
                "text": row.text_body,
                "html": row.html_body,
                "calendar": row.calendar,
                "attachments": _json(row.attachments) or [],
                "headers": _json(row.headers) or {},
            }
        connection.execute(update, {"id": row.id, "snapshot": json.dumps(snapshot)})
    connection.execute(sa.text("UPDATE outbox_message SET snapshot = '{}' WHERE snapshot IS NULL"))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("snapshot", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        for name in RENDERED:
            batch_op.drop_column(name)
        batch_op.create_index(
            "ix_outbox_message_registration",
            ["registration_id"],
            unique=False,
            sqlite_where=sa.text("registration_id IS NOT NULL"),
            postgresql_where=sa.text("registration_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_message_registration",
            sqlite_where=sa.text("registration_id IS NOT NULL"),
            postgresql_where=sa.text("registration_id IS NOT NULL"),
        )
        batch_op.add_column(sa.Column("text_body", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("calendar", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("calendar_method", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=False, server_default="{}"))

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, snapshot FROM outbox_message")).all()
    update = sa.text(
        "UPDATE outbox_message SET subject = :subject, text_body = :text, html_body = :html,"
        " calendar = :calendar, calendar_method = :method, attachments = :attachments, headers = :headers WHERE id = :id"
    )
    for row in rows:
        rendered = (_json(row.snapshot) or {}).get("_rendered")
        if rendered:
            connection.execute(
                update,
                {
                    "id": row.id,
                    "subject": rendered.get("subject") or "",
                    "text": rendered.get("text") or "",
                    "html": rendered.get("html") or "",
                    "calendar": rendered.get("calendar"),
                    "method": _method(rendered.get("calendar")),
                    "attachments": json.dumps(rendered.get("attachments") or []),
                    "headers": json.dumps(rendered.get("headers") or {}),
                },
            )
    connection.execute(sa.text("UPDATE outbox_message SET subject = '' WHERE subject IS NULL"))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("snapshot")
        batch_op.drop_column("registration_id")
