"""Volunteers' emails: what to send (``Intent``s, queued by ``services`` in the
transaction of the change) and, below, how each kind is rendered at delivery.

Each message is in the volunteer's language. A snapshot holds what the message must show
as it was when queued: the sign-ups it is about with their SEQUENCE, so that an
invitation sent later still says what was decided then. ``shift_changed``'s ``changes``
name what a coordinator changed: any of ``"time"``, ``"place"`` and ``"role"`` (other
values are ignored; the message shows the shift as it is now anyway).

Calendar invitations (``invitations``): one per shift, each with its sign-up's own UID.
A message about one shift carries it as the usual inline ``text/calendar`` part (with
its ``invite.ics`` copy, see ``mailer.mime``), which mail clients show as an invitation.
The mailer has one such part per message, and a part holds one UID (RFC 6047): a
message about several shifts instead attaches each shift's invitation as its own file
(``shift-1.ics``, ``shift-2.ics``...: ``text/calendar; method=REQUEST``), which calendar
clients import one by one, and has no inline part.

Private links are minted when the message is rendered (only their hash is written,
through ``Rendering.stage``); the outbox page shows ``PRIVATE_LINK_REMOVED`` instead.
"""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.clock import utcnow
from conference.extensions import db
from conference.i18n import direction, format_clock, format_day, moment_text, translate
from conference.mailer import outbox
from conference.mailer.outbox import Intent
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, Attachment, render_email
from conference.text import bdi, isolate
from conference.tokens import new_token, token_hash
from conference.urls import external_url
from conference.volunteers import checks, invitations
from conference.volunteers.checks import to_local
from conference.volunteers.models import (
    Shift,
    ShiftSignup,
    SignupStatus,
    TokenPurpose,
    Volunteer,
    VolunteerRole,
    VolunteerStatus,
    VolunteerToken,
)

KIND_PREFIX = "volunteers."

CONFIRMATION = "volunteers.confirmation"  # your shifts, one invitation each
AWAITING_GUARDIAN = "volunteers.awaiting_guardian"  # a minor: places held for the guardian
GUARDIAN_REQUEST = "volunteers.guardian_request"  # to the guardian: confirm, please
ALREADY_SIGNED_UP = "volunteers.already_signed_up"  # a repeat: here is your link
SHIFTS_ADDED = "volunteers.shifts_added"  # from their link: the new shifts' invitations
SHIFT_DROPPED = "volunteers.shift_dropped"  # a CANCEL, by them or a coordinator
SHIFT_CHANGED = "volunteers.shift_changed"  # a coordinator changed a shift: an update
REMINDER = "volunteers.reminder"  # the day before, scheduled
TEAM_MESSAGE = "volunteers.team_message"  # a coordinator's email to a shift's team
ERASED = "volunteers.erased"


def _signups(signups):
    return [{"id": s.id, "sequence": s.ics_sequence} for s in signups]


def _to(volunteer, kind, **snapshot):
    return Intent(
        kind=kind,
        recipient=volunteer.email,
        recipient_name=volunteer.full_name,
        language=volunteer.language,
        snapshot={"volunteer": volunteer.id, **snapshot},
    )


def confirmation(volunteer, signups):
    return _to(volunteer, CONFIRMATION, signups=_signups(signups))


def awaiting_guardian(volunteer):
    return _to(volunteer, AWAITING_GUARDIAN)


def guardian_request(volunteer):
    return Intent(
        kind=GUARDIAN_REQUEST,
        recipient=volunteer.guardian_email,
        recipient_name=volunteer.guardian_name,
        language=volunteer.language,
        snapshot={"volunteer": volunteer.id},
    )


def already_signed_up(volunteer):
    return _to(volunteer, ALREADY_SIGNED_UP)


def shifts_added(volunteer, signups):
    return _to(volunteer, SHIFTS_ADDED, signups=_signups(signups))


def shift_dropped(signup, *, by_staff=False, reason=None):
    return _to(
        signup.volunteer,
        SHIFT_DROPPED,
        signups=_signups([signup]),
        by_staff=by_staff,
        reason=reason,
    )


def shift_changed(signup, *, changes=()):
    return _to(signup.volunteer, SHIFT_CHANGED, signups=_signups([signup]), changes=list(changes))


def reminder(signup):
    return _to(signup.volunteer, REMINDER, signups=_signups([signup]))


def team_message(volunteer, *, shift_id, subject, body, sender):
    return _to(volunteer, TEAM_MESSAGE, shift=shift_id, subject=subject, body=body, sender=sender)


def erased(address, language):
    return Intent(kind=ERASED, recipient=address, language=language, snapshot={})


# ---------------------------------------------------------------------------------------
# Rendering (in the deliverer, after the commit)


@outbox.renderer(CONFIRMATION)
def _render_confirmation(row, rendering):
    view = _View(row, rendering)
    signups = view.signups()
    return view.render("confirmation", signups, link=True, invitations=signups)


@outbox.renderer(SHIFTS_ADDED)
def _render_shifts_added(row, rendering):
    view = _View(row, rendering)
    signups = view.signups()
    return view.render("shifts_added", signups, link=True, invitations=signups)


@outbox.renderer(AWAITING_GUARDIAN)
def _render_awaiting_guardian(row, rendering):
    view = _View(row, rendering)
    held = view.held()
    return view.render("awaiting_guardian", held, link=True, held_until=view.held_until(held))


@outbox.renderer(GUARDIAN_REQUEST)
def _render_guardian_request(row, rendering):
    view = _View(row, rendering)
    if view.volunteer.guardian_confirmed_at is not None:
        raise outbox.RenderError("the guardian has confirmed already")
    held = view.held()
    return view.render(
        "guardian_request",
        held,
        guardian_url=view.private_url(TokenPurpose.guardian),
        held_until=view.held_until(held),
        **view.named("minor", view.volunteer.full_name),
    )


@outbox.renderer(ALREADY_SIGNED_UP)
def _render_already_signed_up(row, rendering):
    return _View(row, rendering).render("already_signed_up", (), link=True)


@outbox.renderer(SHIFT_DROPPED)
def _render_shift_dropped(row, rendering):
    view = _View(row, rendering)
    signups = view.signups()
    return view.render(
        "shift_dropped",
        signups,
        link=True,
        cancellations=signups,
        by_staff=bool(view.snapshot.get("by_staff")),
        **view.named("reason", view.snapshot.get("reason") or ""),
    )


@outbox.renderer(SHIFT_CHANGED)
def _render_shift_changed(row, rendering):
    view = _View(row, rendering)
    signups = view.signups()
    named = set(view.snapshot.get("changes") or ())
    changed = [words for change, words in CHANGES.items() if change in named]
    return view.render("shift_changed", signups, link=True, invitations=signups, changes=changed)


@outbox.renderer(REMINDER)
def _render_reminder(row, rendering):
    view = _View(row, rendering)
    signups = view.signups()
    for signup, sequence in signups:
        # Its drop or change took the reminder back (``places.cancel_reminder``); one that
        # escaped would remind them of a shift that is not theirs, or not as it was.
        if signup.status != SignupStatus.confirmed or signup.ics_sequence != sequence:
            raise outbox.RenderError("the shift was dropped or changed since")
    return view.render("reminder", signups, link=True)


@outbox.renderer(TEAM_MESSAGE)
def _render_team_message(row, rendering):
    view = _View(row, rendering)
    shift = db.session.get(Shift, view.snapshot.get("shift") or 0)
    if shift is None:
        raise outbox.RenderError("its shift no longer exists")
    return view.render(
        "team_message",
        (),
        shift=view.shift_line(shift),
        message_subject=view.snapshot.get("subject") or "",
        message_body=view.snapshot.get("body") or "",
        **view.named("sender", view.snapshot.get("sender") or ""),
    )


@outbox.renderer(ERASED)
def _render_erased(row, rendering):
    return render_email(
        "volunteers/erased",
        to=row.recipient,
        name=row.recipient_name,
        language=row.language,
    )


# Words for what a coordinator changed, in the order the message lists them.
CHANGES = {"time": _l("its time"), "place": _l("its place"), "role": _l("its role")}


def _mint(purpose, address):
    """The insert of a private link's hash, made only for a volunteer still active at
    that address (the volunteer's own, or their guardian's)."""
    return VolunteerToken.__table__.insert().from_select(
        ["volunteer_id", "purpose", "token_hash", "created_at"],
        sa.select(
            Volunteer.id,
            sa.literal(purpose, type_=VolunteerToken.__table__.c.purpose.type),
            sa.bindparam("token_hash", type_=sa.String(64)),
            sa.bindparam("created_at", type_=sa.DateTime()),
        ).where(
            Volunteer.id == sa.bindparam("volunteer_id"),
            Volunteer.status == VolunteerStatus.active,
            address == sa.bindparam("address"),
        ),
    )


_MINT = {
    TokenPurpose.manage: _mint(TokenPurpose.manage, Volunteer.email),
    TokenPurpose.guardian: _mint(TokenPurpose.guardian, Volunteer.guardian_email),
}
_ENDPOINTS = {TokenPurpose.manage: "volunteer.manage", TokenPurpose.guardian: "volunteer.guardian"}


class _View:
    """A volunteer message's row, with what its templates need, read now."""

    def __init__(self, row, rendering):
        self.row = row
        self.rendering = rendering
        self.snapshot = row.snapshot or {}
        volunteer = db.session.get(Volunteer, self.snapshot.get("volunteer") or 0)
        if volunteer is None or not volunteer.is_active:
            raise outbox.RenderError("its volunteer no longer exists or was erased")
        self.volunteer = volunteer
        self.conference = volunteer.conference
        self.language = row.language

    def signups(self):
        """The snapshot's sign-ups with the SEQUENCE each had when it was queued."""
        found = []
        gone = self.snapshot.get("shift_gone")
        for item in self.snapshot.get("signups") or ():
            signup = db.session.get(ShiftSignup, item["id"])
            if signup is None and gone:
                signup = self._gone(gone)
            if signup is None or signup.volunteer_id != self.volunteer.id:
                raise outbox.RenderError("its shift sign-up no longer exists")
            found.append((signup, item["sequence"]))
        return sorted(found, key=lambda pair: (pair[0].shift.starts_at, pair[0].shift_id))

    def _gone(self, gone):
        """A deleted shift's sign-up as its cancellation must show it, from the snapshot
        (``setup_services.delete_shift``): objects outside the session, never saved."""
        role = VolunteerRole(
            name=gone["role"], description={}, languages=[], adults_only=False, skill=None
        )
        shift = Shift(
            role=role,
            place=gone["place"],
            starts_at=datetime.fromisoformat(gone["starts_at"]),
            ends_at=datetime.fromisoformat(gone["ends_at"]),
            language_need=None,
        )
        shift.conference = self.conference
        return ShiftSignup(
            shift=shift,
            volunteer_id=self.volunteer.id,
            ics_uid=gone["uid"],
            ics_sequence=gone["sequence"],
            status=SignupStatus.dropped,
        )

    def held(self):
        return [
            (s, s.ics_sequence)
            for s in self.volunteer.current_signups
            if s.status == SignupStatus.held
        ]

    def held_until(self, held):
        ends = [s.held_until for s, _sequence in held if s.held_until]
        return self.moment(min(ends)) if ends else ""

    def named(self, name, value):
        """A value typed by someone (a name, a reason) for both parts: ``<name>`` as it is
        (the HTML templates put it in ``<bdi>``), ``<name>_text`` isolated in a
        right-to-left text part, and ``<name>_html`` in ``<bdi>``."""
        rtl = direction(self.language) == "rtl"
        return {
            name: value,
            f"{name}_text": isolate(value) if rtl and value else value,
            f"{name}_html": bdi(value),
        }

    def moment(self, value):
        return moment_text(value, self.language, self.conference.timezone)

    def shift_line(self, shift):
        """One shift as the templates show it, in the message's language."""
        zone = ZoneInfo(self.conference.timezone)
        start, end = to_local(shift.starts_at, zone), to_local(shift.ends_at, zone)
        with force_locale(self.language):
            return SimpleNamespace(
                role=translate(shift.role.name, self.language),
                description=translate(shift.role.description, self.language),
                when=_(
                    "%(day)s, %(start)s – %(end)s",
                    day=format_day(start.date(), self.language),
                    start=format_clock(start.time(), self.language),
                    end=format_clock(end.time(), self.language),
                ),
                start=format_clock(start.time(), self.language),
                place=translate(shift.place, self.language),
                needs=invitations.needs(shift),
            )

    def private_url(self, purpose=TokenPurpose.manage):
        """A new private link, minted now; only its hash is written (``Rendering.stage``)."""
        if self.rendering.display:
            return PRIVATE_LINK_REMOVED
        token = new_token()
        self.rendering.stage(
            _MINT[purpose],
            volunteer_id=self.volunteer.id,
            address=self.row.recipient,
            token_hash=token_hash(token),
            created_at=utcnow(),
        )
        return external_url(_ENDPOINTS[purpose], token=token)

    def calendars(self, signups, build, method):
        """The invitations of ``signups``: one inline, or each attached as a file."""
        made = [
            build(
                signup,
                sequence=sequence,
                address=self.row.recipient,
                name=self.row.recipient_name,
                language=self.language,
            )
            for signup, sequence in signups
        ]
        if len(made) == 1:
            return made[0], []
        content_type = f"text/calendar; method={method}; charset=UTF-8"
        return None, [
            Attachment(f"shift-{n}.ics", content_type, data) for n, data in enumerate(made, 1)
        ]

    def render(self, name, signups, *, link=False, invitations=(), cancellations=(), **context):
        calendar, attachments = None, []
        if invitations:
            calendar, attachments = self.calendars(invitations, invitation_of, "REQUEST")
        elif cancellations:
            calendar, attachments = self.calendars(cancellations, cancellation_of, "CANCEL")
        settings = checks.settings_of(self.conference)
        return render_email(
            f"volunteers/{name}",
            to=self.row.recipient,
            name=self.row.recipient_name,
            language=self.language,
            calendar=calendar,
            attachments=attachments,
            conference=self.conference,
            volunteer=self.volunteer,
            shifts=[self.shift_line(signup.shift) for signup, _sequence in signups],
            invitations_attached=len(attachments),
            manage_url=self.private_url() if link else None,
            deadline_hours=settings.change_deadline_hours,
            contact_email=self.conference.contact_email,
            **context,
        )


invitation_of = invitations.invitation
cancellation_of = invitations.cancellation
