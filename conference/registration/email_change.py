"""An attendee changes their own email address, keeping every seat and place in line.

From the private page, the attendee asks for a new address. A link to confirm goes to
the new address (minted when the message is rendered, like every private link: only its
SHA-256 is stored, with the time it stops working); a notice without any link goes to
the old one. Following the link, and confirming, switches the registration's address.

- One request at a time: a new request (or the change itself) ends earlier links.
- The link works for ``VALID`` and once: the change deletes the registration's requests.
- An address another active registration uses is never told apart at the request: the
  answer and the old address's notice are the same, and the link's message is written
  and rolled back (``_rehearse``), so nobody learns who is registered. If the address was
  taken between the request and the confirmation, the confirmation says so.
- Links sent to the old address stop working once the address changes (as when
  organizers correct an address), and a new private link goes to the new one with the
  places: the old mailbox may no longer be the attendee's (see docs/design.md).
"""

import functools
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from conference import audit, text
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.rendering import PRIVATE_LINK_REMOVED
from conference.registration import emails
from conference.registration.errors import RegistrationEnded, RegistrationError
from conference.registration.models import Registration
from conference.registration.queries import find_active_registration
from conference.registration.seats import lock_registration, retrying
from conference.tokens import new_token, token_hash
from conference.urls import external_url

# How long a link to confirm a new address works, from the moment it is sent.
VALID = timedelta(hours=24)

REQUESTED = "registration.email_change_requested"
CHANGED = "registration.email_changed"


class EmailChange(db.Model):
    """A request to move a registration to a new address, waiting for its confirmation."""

    __tablename__ = "email_change"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    # Normalised, as registrations store it.
    new_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    # Set when the message with the link is rendered for sending; until then nothing opens it.
    token_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    expires_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime]

    registration: so.Mapped[Registration] = so.relationship()


class EmailChangeError(RegistrationError):
    """The change cannot be made; the message says why, in the attendee's words."""


# ---------------------------------------------------------------------------------------
# Asking


def normalise_new_email(address):
    """:raises RegistrationError: not an address."""
    try:
        return text.normalise_email(address)
    except text.InvalidEmailAddress:
        raise RegistrationError(
            _l("Enter an email address in the correct format, like name@example.com")
        ) from None


@retrying
def request_change(registration, address, *, now=None):
    """Ask to move ``registration`` to ``address``: a link to it, a notice to the old one.

    The same work and the same answer whether or not ``address`` is free (see the
    module's notes). Commits.

    :raises RegistrationError: not an address, or the registration's own address.
    :raises RegistrationEnded: the registration is no longer active.
    """
    address = normalise_new_email(address)
    now = now or utcnow()
    registration = lock_registration(registration)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationEnded(registration)
    if address == registration.email:
        db.session.rollback()
        raise RegistrationError(_l("This is already your email address. Enter the new one."))
    forget(registration)  # one request at a time: earlier links end
    outbox.enqueue(_notice(registration))
    write = functools.partial(_write_request, registration, address, now)
    if find_active_registration(registration.conference, address) is None:
        write()
    else:
        _rehearse(write)
    audit.record(REQUESTED, registration_id=registration.id)
    db.session.commit()


def _write_request(registration, address, now):
    change = EmailChange(registration_id=registration.id, new_email=address, created_at=now)
    db.session.add(change)
    db.session.flush()
    outbox.enqueue(
        outbox.Intent(
            kind="registration.email_change",
            recipient=address,
            recipient_name=registration.full_name,
            language=registration.language,
            registration_id=registration.id,
            snapshot={"change": change.id},
        )
    )
    db.session.flush()


def _rehearse(work):
    """Do ``work`` in a savepoint and undo it: an address in use costs the same work."""
    savepoint = db.session.begin_nested()
    try:
        work()
    finally:
        savepoint.rollback()


def _notice(registration):
    return outbox.Intent(
        kind="registration.email_change_notice",
        recipient=registration.email,
        recipient_name=registration.full_name,
        language=registration.language,
        registration_id=registration.id,
        snapshot={"sequence": registration.ics_sequence},
    )


def forget(registration):
    """Delete ``registration``'s requests (their addresses and links) in this transaction."""
    db.session.execute(sa.delete(EmailChange).where(EmailChange.registration_id == registration.id))


# ---------------------------------------------------------------------------------------
# Confirming


def find_change(token, *, now=None):
    """The request a link opens while it works (sent, not expired, registration active)."""
    if not token or len(token) > 100:
        return None
    change = db.session.scalar(sa.select(EmailChange).filter_by(token_hash=token_hash(token)))
    if change is None or not _works(change, now or utcnow()):
        return None
    return change


def _works(change, now):
    return (
        change.expires_at is not None and change.expires_at > now and change.registration.is_active
    )


@retrying
def confirm_change(change, *, now=None):
    """Move the registration to the request's address, keeping its places. Commits.

    Links to the registration sent before stop working; a message with a new one (and
    the places) goes to the new address. Returns the registration.

    :raises EmailChangeError: the link has expired or was used, or another registration
        took the address since it was asked for.
    :raises RegistrationEnded: the registration is no longer active.
    """
    now = now or utcnow()
    change_id = change.id
    registration = lock_registration(change.registration_id)
    change = db.session.get(EmailChange, change_id, populate_existing=True)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationEnded(registration)
    if change is None or not _works(change, now):
        db.session.rollback()
        raise EmailChangeError(_l("This link has expired or has already been used."))
    taken = EmailChangeError(
        _l(
            "Another registration for this conference already uses this email address, "
            "so we cannot move yours to it. Your registration keeps its address."
        )
    )
    holder = find_active_registration(registration.conference, change.new_email)
    if holder is not None and holder.id != registration.id:
        db.session.rollback()
        raise taken
    registration.email = change.new_email
    registration.updated_at = now
    registration.tokens.clear()  # links in the old mailbox end
    forget(registration)
    audit.record(CHANGED, registration_id=registration.id)
    try:
        db.session.flush()
    except IntegrityError:  # registered with this address a moment ago
        db.session.rollback()
        raise taken from None
    outbox.enqueue(emails.email_changed(registration))
    db.session.commit()
    return registration


# ---------------------------------------------------------------------------------------
# Rendering (in the deliverer, after the commit)

# Mints the link of a request: only while it is still the registration's request, for
# the address the message goes to.
_MINT = (
    sa.update(EmailChange.__table__)
    .where(
        EmailChange.__table__.c.id == sa.bindparam("change_id"),
        EmailChange.__table__.c.new_email == sa.bindparam("address"),
    )
    .values(token_hash=sa.bindparam("token_hash"), expires_at=sa.bindparam("until"))
)


@outbox.renderer("registration.email_change")
def _render_link(row, rendering):
    view = emails.View(row, rendering)
    if rendering.display:
        link = PRIVATE_LINK_REMOVED
    else:
        token = new_token()
        rendering.stage(
            _MINT,
            change_id=row.snapshot.get("change", 0),
            address=row.recipient,
            token_hash=token_hash(token),
            until=utcnow() + VALID,
        )
        link = external_url("registration.confirm_email", token=token)
    return view.render("registration/email_change", change_url=link, valid_hours=24)


@outbox.renderer("registration.email_change_notice")
def _render_notice(row, rendering):
    return emails.View(row, rendering).render("registration/email_change_notice")
