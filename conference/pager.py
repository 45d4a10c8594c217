"""Keyset pages: newest first, by primary key, so page 1,000 costs what page 1 does."""

from conference.extensions import db


def keyset_page(query, key, *, before=None, size=50):
    """Return one page of ``query`` ordered by ``key`` descending, and the key to continue
    before (``None`` on the last page).

    ``query`` is a ``select`` of mapped rows with its filters; ``key`` is its unique,
    indexed column (the primary key).
    """
    query = query.order_by(key.desc()).limit(size + 1)
    if before is not None:
        query = query.where(key < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (getattr(rows[-1], key.key) if more and rows else None)
