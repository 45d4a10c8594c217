"""Imports kept between their preview and their confirmation, in the database so that
any app process can answer either; then their skipped rows, for the download. Rows are
deleted after a day (see ``imports`` for the rest of an import)."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference import spreadsheets
from conference.clock import utcnow
from conference.extensions import db
from conference.registration.imports import KEEP_FOR, _cells, _json_cells, apply


class PendingImport(db.Model):
    """An uploaded file's rows, kept from the preview to the confirmation (any process
    may answer either), then the skipped rows of the import, for their download."""

    __tablename__ = "registration_import"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    file_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
    applied_at: so.Mapped[datetime | None]
    # {"kind", "header", "rows"}: the file as read; emptied once applied.
    table: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    # Result.as_dict(), once applied.
    result: so.Mapped[dict | None] = so.mapped_column(sa.JSON)


def keep(table, *, file_name, actor):
    """Store ``table`` for its confirmation; forget imports older than a day. Commits."""
    now = utcnow()
    db.session.execute(sa.delete(PendingImport).where(PendingImport.created_at < now - KEEP_FOR))
    pending = PendingImport(
        actor_id=actor.id,
        file_name=file_name[:255],
        created_at=now,
        table={
            "kind": table.kind,
            "header": table.header,
            "rows": [[line, _json_cells(cells)] for line, cells in table.rows],
        },
    )
    db.session.add(pending)
    db.session.commit()
    return pending


def pending_of(import_id, actor):
    """The import ``import_id`` if ``actor`` uploaded it within the day, else None."""
    pending = db.session.get(PendingImport, import_id)
    if pending is None or pending.actor_id != actor.id:
        return None
    if pending.created_at < utcnow() - KEEP_FOR:
        return None
    return pending


def table_of(pending):
    data = pending.table
    rows = [(line, _cells(cells)) for line, cells in data["rows"]]
    return spreadsheets.Table(data["kind"], data["header"], rows)


def confirm(conference, pending, *, actor):
    """Apply a stored import once (a second confirmation finds it taken); return the
    ``Result``, or None if it was already applied. Keeps only the skipped rows."""
    claimed = db.session.execute(
        sa.update(PendingImport)
        .where(PendingImport.id == pending.id, PendingImport.applied_at.is_(None))
        .values(applied_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(pending)
    table = table_of(pending)
    result = apply(conference, table, file_name=pending.file_name, actor=actor)
    pending = db.session.get(PendingImport, pending.id)
    pending.result = result.as_dict()
    pending.table = {"kind": table.kind, "header": table.header, "rows": []}
    db.session.commit()
    return result
