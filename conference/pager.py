"""Keyset pages: each page continues from the row the last one ended on, by an indexed
key, so page 1,000 costs what page 1 does.

``keyset_page`` walks newest first by the primary key, one way. ``keyset_window`` walks
any indexed order (a name, then the id to break ties) both ways: the next page after a
row, or the previous page before it.
"""

from dataclasses import dataclass

import sqlalchemy as sa

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


@dataclass(frozen=True)
class Window:
    """One page of a keyset list: its rows, and whether there are rows before and after."""

    rows: list
    has_previous: bool
    has_next: bool


def beyond(columns, values, *, descending, forward=True):
    """The condition "after ``values`` in the order of ``columns``" (or before it when not
    ``forward``): a row comparison, which an index on ``columns`` answers as a range."""
    later = forward != descending
    row, bound = sa.tuple_(*columns), sa.tuple_(*values)
    return row > bound if later else row < bound


def keyset_window(query, columns, *, descending=False, after=None, before=None, size=50):
    """Return one ``Window`` of ``query`` ordered by ``columns``.

    ``columns`` end with a unique one (the primary key), all sorted one way; an index
    on them (after the query's equality filters) keeps every page cheap. ``after`` is the
    values of ``columns`` of the row the next page follows, ``before`` those of the row the
    previous page precedes; with neither, the first page. A previous page that comes back
    short (rows were removed meanwhile) is the first page.
    """
    forward = before is None or after is not None
    bound = after if forward else before
    # Backwards: the reverse order from the bound, then the rows turned round.
    order = [column.desc() if descending == forward else column.asc() for column in columns]
    paged = query.order_by(*order).limit(size + 1)
    if bound is not None:
        paged = paged.where(beyond(columns, bound, descending=descending, forward=forward))
    rows = list(db.session.scalars(paged))
    more = len(rows) > size
    rows = rows[:size]
    if forward:
        return Window(rows, has_previous=bound is not None, has_next=more)
    if not more and len(rows) < size:  # the start reached early: show the first page
        return keyset_window(query, columns, descending=descending, size=size)
    rows.reverse()
    return Window(rows, has_previous=more, has_next=True)
