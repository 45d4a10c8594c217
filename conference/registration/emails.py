"""The emails a registration causes, each in the registrant's own language.

Two halves. The functions at the top run in the transaction of the change and return
what to send (an ``outbox.Intent``): the kind of message, the registration's id, the
language and a snapshot of what the message must show as it is now (the calendar
SEQUENCE, the confirmed tracks, the places in line, whether a seat was lost). The
renderers below run in the deliverer, after the commit: they read the registration and
its conference, mint the private link (only its hash is stored) and render the
templates. Those that confirm a seat carry the calendar invitation (METHOD:REQUEST, the
registration's UID, the SEQUENCE of the snapshot); those that take the last seat away
carry its cancellation (METHOD:CANCEL).
"""

from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import force_locale

from conference.calendar import ics
from conference.calendar import services as calendar
from conference.clock import utcnow
from conference.content.models import Track
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, Attachment, render_email
from conference.registration import checkin_code
from conference.registration.models import ManageToken, Registration, RegistrationStatus
from conference.registration.queries import places_in_line
from conference.tokens import new_token, token_hash
from conference.urls import external_url

# ---------------------------------------------------------------------------------------
# What to send (in the transaction of the change)


def confirmation(registration):
    """The answer to a new registration: seats confirmed, places on waiting lists, the link."""
    return _intent("registration.confirmation", registration)


def new_registration(registration_id, values, *, seated, waiting):
    """``confirmation`` of a registration just written without the ORM (``services``),
    from the values it was written with: its seats (track ids) and its ``[track id,
    place in line]`` pairs, both in track id order. Its check-in code is in its row.
    """
    return outbox.Intent(
        kind="registration.confirmation",
        recipient=values["email"],
        recipient_name=values["full_name"],
        language=values["language"],
        registration_id=registration_id,
        snapshot={"sequence": 0, "confirmed": list(seated), "waiting": list(waiting)},
    )


def already_registered(registration):
    """To an address that registered again: it already has a registration; here is its link.

    ``registration`` may be its row (``queries.find_twin_or_active``): only its id, address,
    name, language and sequence are read.
    """
    return _intent("registration.already_registered", registration, places=False)


def manage_link(registration):
    """The private link, asked for again."""
    return _intent("registration.manage_link", registration, places=False)


def unknown_address(address):
    """The shape of a link asked for an address with no registration: written, then undone.

    Never sent (see ``services._rehearse``): it gives that answer the same work as a
    link sent to a registered address.
    """
    return outbox.Intent(
        kind="registration.manage_link", recipient=address, language="en", snapshot={"sequence": 0}
    )


def promoted(registration, place):
    """A seat came free in ``place``'s track and is now theirs."""
    return _intent("registration.promoted", registration, track=place.track_id)


def changed(registration, *, had_seat):
    """Their tracks changed: the new places, and the updated (or cancelled) invitation."""
    return _intent("registration.changed", registration, had_seat=had_seat)


def cancelled(registration, *, had_seat):
    """Their registration is cancelled; the calendar event goes too."""
    return _intent("registration.cancelled", registration, places=False, had_seat=had_seat)


def erased(registration, *, had_seat):
    """Their personal data is erased: the last message to this address.

    The address and name are in the outbox row, which forgets them once it is sent: the
    registration has forgotten them by then.
    """
    return _intent("registration.erased", registration, places=False, had_seat=had_seat)


def email_changed(registration):
    """Their address is now this one: a new private link, and their places as they are."""
    return _intent("registration.email_changed", registration)


def _intent(kind, registration, *, places=True, **snapshot):
    snapshot["sequence"] = registration.ics_sequence
    if places:
        confirmed = registration.confirmed_places
        waitlisted = registration.waitlisted_places
        positions = places_in_line(waitlisted)
        snapshot["confirmed"] = [place.track_id for place in confirmed]
        snapshot["waiting"] = [[place.track_id, positions[place.id]] for place in waitlisted]
        if confirmed:  # the QR code of the confirmation needs it; made now, in the change
            checkin_code.ensure_checkin_code(registration)
    return outbox.Intent(
        kind=kind,
        recipient=registration.email,
        recipient_name=registration.full_name,
        language=registration.language,
        registration_id=registration.id,
        snapshot=snapshot,
    )


# ---------------------------------------------------------------------------------------
# Rendering (in the deliverer, after the commit)


@outbox.renderer("registration.confirmation")
def _render_confirmation(row, rendering):
    view = _View(row, rendering)
    has_seat = bool(view.confirmed)
    return view.render(
        "registration/confirmation",
        link=True,
        calendar=view.invitation() if has_seat else None,
        attachments=view.qr_code() if has_seat else [],
    )


@outbox.renderer("registration.already_registered")
def _render_already_registered(row, rendering):
    return _View(row, rendering).render("registration/already_registered", link=True)


@outbox.renderer("registration.manage_link")
def _render_manage_link(row, rendering):
    return _View(row, rendering).render("registration/manage_link", link=True)


@outbox.renderer("registration.promoted")
def _render_promoted(row, rendering):
    view = _View(row, rendering)
    return view.render(
        "registration/promoted",
        link=True,
        promoted_place=SimpleNamespace(track=view.track(row.snapshot["track"])),
        calendar=view.invitation(),
        attachments=view.qr_code(),
    )


@outbox.renderer("registration.changed")
def _render_changed(row, rendering):
    view = _View(row, rendering)
    if view.confirmed:
        invite = view.invitation()
    else:
        invite = view.cancellation() if row.snapshot.get("had_seat") else None
    return view.render("registration/changed", link=True, calendar=invite)


@outbox.renderer("registration.cancelled")
def _render_cancelled(row, rendering):
    view = _View(row, rendering)
    invite = view.cancellation() if row.snapshot.get("had_seat") else None
    return view.render("registration/cancelled", calendar=invite)


@outbox.renderer("registration.erased")
def _render_erased(row, rendering):
    view = _View(row, rendering, erased_ok=True)
    invite = view.cancellation() if row.snapshot.get("had_seat") else None
    return view.render("registration/erased", calendar=invite)


@outbox.renderer("registration.email_changed")
def _render_email_changed(row, rendering):
    return _View(row, rendering).render("registration/email_change_done", link=True)


# A private link's hash, added only for a registration still active at that address.
_MINT = ManageToken.__table__.insert().from_select(
    ["registration_id", "token_hash", "created_at"],
    sa.select(
        Registration.id,
        sa.bindparam("token_hash", type_=sa.String(64)),
        sa.bindparam("created_at", type_=sa.DateTime()),
    ).where(
        Registration.id == sa.bindparam("registration_id"),
        Registration.status == RegistrationStatus.active,
        Registration.email == sa.bindparam("address"),
    ),
)


def _load_registrations(rendering):
    """Read the registrations of the batch's messages in one query (the first time).

    ``db.session.get`` then finds each in the session instead of asking the database
    once per message; the list kept in the cache holds them there for the batch.
    """
    if "registration.batch" in rendering.cache:
        return
    ids = {row.registration_id for row in rendering.rows if row.registration_id}
    rendering.cache["registration.batch"] = (
        db.session.scalars(sa.select(Registration).where(Registration.id.in_(ids))).all()
        if len(ids) > 1
        else []
    )


class _View:
    """A registration message's row, with what its templates need, read now."""

    def __init__(self, row, rendering, *, erased_ok=False):
        self.row = row
        self.rendering = rendering
        self.snapshot = row.snapshot or {}
        _load_registrations(rendering)
        registration = db.session.get(Registration, row.registration_id or 0)
        if registration is None:
            raise outbox.RenderError("its registration no longer exists")
        if registration.status == RegistrationStatus.erased and not erased_ok:
            raise outbox.RenderError("its registration was erased")
        self.registration = registration
        self.conference = registration.conference
        self.confirmed = [
            SimpleNamespace(track=self.track(track_id))
            for track_id in self.snapshot.get("confirmed", [])
        ]
        self.waiting = [
            (SimpleNamespace(track=self.track(track_id)), position)
            for track_id, position in self.snapshot.get("waiting", [])
        ]

    def track(self, track_id):
        tracks = self.rendering.cache.setdefault("registration.tracks", {})
        if track_id not in tracks:
            tracks[track_id] = db.session.get(Track, track_id)
        if tracks[track_id] is None:
            raise outbox.RenderError(f"its track {track_id} no longer exists")
        return tracks[track_id]

    def render(self, template, *, link=False, calendar=None, attachments=(), **context):
        return render_email(
            template,
            to=self.row.recipient,
            name=self.row.recipient_name,
            language=self.row.language,
            calendar=calendar,
            attachments=attachments,
            checkin_qr_attached=any(
                a.filename == checkin_code.QR_FILENAME and not a.content_id for a in attachments
            ),
            checkin_qr_cid=next((a.content_id for a in attachments if a.content_id), None),
            registration=self.registration,
            conference=self.conference,
            confirmed=self.confirmed,
            waiting=self.waiting,
            manage_url=self.manage_url() if link else None,
            register_url=external_url("registration.register"),
            **context,
        )

    def manage_url(self):
        """A new private link, minted now; only its hash is written (``Rendering.stage``).

        For display, the link is replaced by ``PRIVATE_LINK_REMOVED``; a registration
        cancelled since the message was queued gets no link (it would open nothing). The
        hash is written only if, by then, the registration is still active and still has
        the address the message goes to: a cancellation or an address correction that
        commits between rendering and writing leaves this link dead, as it does the
        others.
        """
        if self.rendering.display:
            return PRIVATE_LINK_REMOVED
        if not self.registration.is_active:
            return None
        token = new_token()
        self.rendering.stage(
            _MINT,
            registration_id=self.registration.id,
            address=self.row.recipient,
            token_hash=token_hash(token),
            created_at=utcnow(),
        )
        return external_url("registration.manage", token=token)

    def qr_code(self):
        """The check-in QR code, made in the change's transaction (none once cancelled).

        Twice (about 1 KB each): inline in the HTML, by its Content-ID, and attached, for
        a reader that shows only the text or blocks images, or to keep on the phone.
        """
        code = self.registration.checkin_code
        if not code:
            return []
        png = checkin_code.qr_png(checkin_code.checkin_url(code))
        domain = self.row.message_id.strip("<>").rpartition("@")[2] or "localhost"
        content_id = f"checkin-qr.{self.registration.id}@{domain}"  # short: never folded
        return [
            Attachment(checkin_code.QR_FILENAME, "image/png", png, content_id=content_id),
            Attachment(checkin_code.QR_FILENAME, "image/png", png),
        ]

    def _event(self):
        """The conference as this registrant's calendar shows it, in their language."""
        with force_locale(self.row.language):
            return calendar.conference_event(self.conference, page_url=external_url("site.home"))

    def _mailboxes(self):
        return {
            "organizer": calendar.organizer(self.conference, confirmed_only=False),
            "attendee": ics.Mailbox(self.row.recipient, self.row.recipient_name),
        }

    def invitation(self):
        return ics.invitation(
            self._event(),
            uid=self.registration.ics_uid,
            sequence=self.snapshot.get("sequence", 0),
            **self._mailboxes(),
        )

    def cancellation(self):
        return ics.cancellation(
            self._event(),
            uid=self.registration.ics_uid,
            sequence=max(self.snapshot.get("sequence", 0), 1),
            **self._mailboxes(),
        )


# For the renderers of other modules of this package (``email_change``).
View = _View
