"""What the page after the registration form says about each chosen track.

The page that answers the form looks the same whatever happened (see ``services``: a
new registration, a repeated address and a filled-in spam trap all end there), and it
now says, per chosen track, "you have a seat" or "you are number N on the waiting
list". A new registration (or the same form sent twice) shows its own places. A repeat
address or a bot shows what the form would have got at that moment (a seat while one
is left, else the place after the people waiting): telling a repeat its real places
would tell anyone who types an address what that person chose. The email to the
address says the truth in every case.
"""

from dataclasses import dataclass

from conference.registration import queries


@dataclass(frozen=True)
class Shown:
    """One chosen track on the page: its id, and its place in line (``None``: a seat)."""

    track_id: int
    position: int | None

    def as_list(self):
        return [self.track_id, self.position]


def shown_places(conference, track_keys, *, outcome=None, submission_id=None):
    """The places to show after the form, as ``Shown`` items in the conference's order.

    ``outcome`` is the registration service's answer (``None`` for a bot's form). Its
    ``placement`` is shown when it has one (a new registration's places, or for a repeat
    the places a rehearsed registration got); a form that made the registration before (a
    double click) shows that registration's places; otherwise (a bot) what the chosen
    tracks would give now.
    """
    if outcome is not None and outcome.placement is not None:  # read in its transaction
        return [Shown(track_id, position) for track_id, position in outcome.placement]
    registration = outcome.registration if outcome is not None else None
    own = registration is not None and (
        outcome.created or (submission_id and registration.submission_id == submission_id)
    )
    if own:
        positions = queries.places_in_line(registration.waitlisted_places)
        by_track = {place.track_id: positions.get(place.id) for place in registration.places}
        return [
            Shown(track.id, by_track[track.id])
            for track in conference.tracks
            if track.id in by_track
        ]
    keys = set(track_keys or ())
    return [
        Shown(track.id, None if track.seats_left else track.places_waiting + 1)
        for track in conference.tracks
        if track.key in keys
    ]


def from_session(conference, stored):
    """The ``(track, position)`` pairs of places kept in the session (``Shown.as_list``)."""
    tracks = {track.id: track for track in conference.tracks}
    pairs = []
    for item in stored or ():
        try:
            track_id, position = item
        except (TypeError, ValueError):
            continue
        if track_id in tracks and (position is None or isinstance(position, int)):
            pairs.append((tracks[track_id], position))
    return pairs
