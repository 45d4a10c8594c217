"""A sponsor's figures, ready to show: the counts of ``portal_queries`` passed through
``disclosure`` (no group smaller than the threshold, nothing recoverable by subtraction).

Labels are lazy strings, so the same figures read in either language (the printable
summary shows both side by side).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from conference.content.models import Track
from conference.sponsors import disclosure, portal_queries
from conference.sponsors.disclosure import Figure, Table


@dataclass(frozen=True)
class Label:
    """A row's name: words of ours (``text``, translated) or a place as people typed it."""

    text: object
    typed: bool = False


STATUS_LABELS = {
    "confirmed": Label(_l("With a seat")),
    "waitlisted": Label(_l("On the waiting list")),
}
LANGUAGE_LABELS = {"ar": Label(_l("Arabic")), "en": Label(_l("English"))}


OTHER_PLACES = "Other places (fewer than %(num)s each)"


def _place_label(key, k):
    if key == portal_queries.OTHER:
        return Label(
            lazy_ngettext(
                "Other places (fewer than %(num)s each)",
                "Other places (fewer than %(num)s each)",
                k,
            )
        )
    if key == portal_queries.NOT_GIVEN:
        return Label(_l("Not given"))
    return Label(key, typed=True)


def _labelled(items, labels):
    return [(labels(key), count) for key, count in items]


@dataclass(frozen=True)
class TrackImpact:
    track: Track
    k: int
    registrations: Table  # with a seat, waiting; the total is everyone on the track
    checked_in: Figure
    volunteers: Figure
    shifts: int
    languages: Table
    regions: Table
    cities: Table
    growth: list  # disclosure.Period, by week
    stories: list  # portal_queries.StoryCard

    @property
    def total(self):
        return self.registrations.total

    @property
    def growth_top(self):
        return max((period.count for period in self.growth), default=0)


def track_impact(conference, track, today, k=None):
    """Every figure of ``track`` a sponsor may see."""
    k = k or disclosure.threshold()
    counts = portal_queries.registrations(track.id)
    total = sum(counts.values())
    people, shifts = portal_queries.volunteers(track.id)

    def protected(items):
        return disclosure.table(items, k, total=total)

    return TrackImpact(
        track=track,
        k=k,
        registrations=protected([(STATUS_LABELS[key], counts[key]) for key in STATUS_LABELS]),
        checked_in=disclosure.single(portal_queries.checked_in(track.id), k),
        volunteers=disclosure.single(people, k),
        shifts=shifts,
        languages=protected(
            _labelled(
                portal_queries.languages(track.id),
                lambda code: LANGUAGE_LABELS.get(code, Label(code, typed=True)),
            )
        ),
        regions=protected(
            _labelled(portal_queries.regions(track.id, k), lambda key: _place_label(key, k))
        ),
        cities=protected(
            _labelled(portal_queries.cities(track.id, k), lambda key: _place_label(key, k))
        ),
        growth=disclosure.series(portal_queries.weekly(track.id), k),
        stories=portal_queries.stories(conference, today, [track.id]),
    )


@dataclass(frozen=True)
class Overall:
    """The whole conference, rounded (``disclosure.about``)."""

    registrations: int
    checked_in: int


def overall(conference):
    registered, arrived = portal_queries.overall(conference)
    return Overall(disclosure.about(registered), disclosure.about(arrived))
