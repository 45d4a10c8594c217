"""Figures a sponsor may see: no group smaller than a threshold, and nothing hidden that
can be worked out from what is shown.

Pure functions (``threshold`` aside, which reads the setting). A count is a ``Figure``:

- ``shown``: the exact number (zero, or at least the threshold ``k``);
- ``small``: a group of 1 to ``k - 1``, written "fewer than k";
- ``hidden``: a group of ``k`` or more, hidden so that a small one cannot be found by
  subtracting (complementary suppression), written "not shown".

A table (``table``) is categories and their total, the total published elsewhere too.
Whoever knows the rule knows that a small cell is in ``[1, k-1]`` and a hidden one in
``[k, ∞)``; with the total and the shown cells they know the sum of the hidden ones.
Cells are hidden, smallest first, until that sum is at least ``k`` and every hidden cell
can still take two values or more (``exposed`` finds those that cannot). When no choice
of cells achieves it, the categories are not listed at all (``collapsed``): only the
total is. A time series (``series``) merges consecutive periods until each holds at
least ``k`` (or none), so its per-period and cumulative figures are all safe.
"""

from dataclasses import dataclass, field

from flask import current_app

SHOWN, SMALL, HIDDEN = "shown", "small", "hidden"


def threshold():
    """The smallest group shown (``SPONSOR_MIN_GROUP``, at least 2)."""
    return max(int(current_app.config["SPONSOR_MIN_GROUP"]), 2)


@dataclass(frozen=True)
class Figure:
    """One published count: ``value`` is ``None`` unless ``state`` is ``shown``."""

    state: str
    value: int | None
    k: int

    @property
    def shown(self):
        return self.state == SHOWN

    @property
    def small(self):
        return self.state == SMALL


def single(count, k):
    """One count on its own: exact when zero or at least ``k``, else "fewer than k"."""
    if 0 < count < k:
        return Figure(SMALL, None, k)
    return Figure(SHOWN, count, k)


@dataclass(frozen=True)
class Row:
    key: object
    figure: Figure
    count: int = field(repr=False)  # the true count, for drawing shown bars only

    @property
    def bar(self):
        """The count a bar may stand for (``None`` unless shown)."""
        return self.figure.value if self.figure.shown else None


@dataclass(frozen=True)
class Table:
    rows: list
    total: Figure
    collapsed: bool  # the categories could not be shown safely: only the total is

    @property
    def largest(self):
        return max((row.bar for row in self.rows if row.bar), default=0)


def _bounds(state, k, total):
    return (1, k - 1) if state == SMALL else (k, total)


def exposed(states, counts, k, total):
    """The indices of hidden or small cells that the published figures pin down.

    Also reports every hidden cell when their sum (what the total minus the shown cells
    gives) is a group smaller than ``k``. ``states`` and ``counts`` run in parallel.
    """
    hidden = [i for i, state in enumerate(states) if state != SHOWN]
    if not hidden:
        return []
    rest = sum(counts[i] for i in hidden)
    if rest < k:
        return hidden
    bounds = {i: _bounds(states[i], k, total) for i in hidden}
    pinned = []
    for i in hidden:
        low_others = sum(bounds[j][0] for j in hidden if j != i)
        high_others = sum(bounds[j][1] for j in hidden if j != i)
        low = max(bounds[i][0], rest - high_others)
        high = min(bounds[i][1], rest - low_others)
        if high <= low:
            pinned.append(i)
    return pinned


def table(items, k, total=None):
    """Protect ``items`` (``[(key, count)]``) and their total (their sum unless given).

    Returns a ``Table`` whose rows keep the items' order.
    """
    items = list(items)
    counts = [count for _key, count in items]
    total = sum(counts) if total is None else total
    if 0 < total < k:
        return Table([], Figure(SMALL, None, k), collapsed=bool(items))
    states = [SMALL if 0 < count < k else SHOWN for count in counts]
    while exposed(states, counts, k, total):
        candidates = [i for i, state in enumerate(states) if state == SHOWN and counts[i] > 0]
        if not candidates:
            return Table([], Figure(SHOWN, total, k), collapsed=True)
        states[min(candidates, key=lambda i: (counts[i], i))] = HIDDEN
    rows = [
        Row(key, Figure(state, count if state == SHOWN else None, k), count)
        for (key, count), state in zip(items, states, strict=True)
    ]
    return Table(rows, Figure(SHOWN, total, k), collapsed=False)


@dataclass(frozen=True)
class Period:
    """Consecutive periods merged: ``first`` to ``last`` (period keys), their new count
    and the running total at their end."""

    first: object
    last: object
    count: int
    cumulative: int


def series(items, k):
    """Merge ``items`` (``[(period, count)]`` in time order) into ``Period``s of at least
    ``k`` each; the periods before the first and after the last count fold into their
    neighbours. Empty when the whole is smaller than ``k``."""
    items = list(items)
    if sum(count for _key, count in items) < k:
        return []
    buckets = []  # [first, last, count]
    for key, count in items:
        if buckets and buckets[-1][2] < k:
            buckets[-1][1] = key
            buckets[-1][2] += count
        else:
            buckets.append([key, key, count])
    if buckets[-1][2] < k:  # the tail: into the period before it
        first, last, count = buckets.pop()
        buckets[-1][1] = last
        buckets[-1][2] += count
    periods, running = [], 0
    for first, last, count in buckets:
        running += count
        periods.append(Period(first, last, count, running))
    return periods


def about(count, step=10):
    """An overall figure rounded to ``step`` (never below it when there is anyone), so
    that it cannot be combined exactly with the per-track figures."""
    if count <= 0:
        return 0
    return max(step, int(round(count / step)) * step)
