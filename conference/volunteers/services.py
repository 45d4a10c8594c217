"""Volunteer sign-up and the changes volunteers make from their link.

Nothing here reads ``request`` or calls ``flash``: the public pages, the private link,
the coordinators' pages, the CLI and the tests call these functions. Each public
function owns its transaction and commits; its emails are queued in the outbox in that
transaction.

Places on shifts follow the attendee seats' rules (locks and their order in ``places``).
The rules themselves are in ``rules`` (pure) and their values in ``checks``; this module
asks them under the locks and applies the answer: all the chosen shifts, or none and
every reason.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from conference import audit, database, text
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.tokens import new_token, token_hash
from conference.volunteers import checks, emails, places, rules
from conference.volunteers.models import (
    AgeGroup,
    Shift,
    ShiftSignup,
    SignupStatus,
    TokenPurpose,
    Volunteer,
    VolunteerStatus,
    VolunteerToken,
)

LANGUAGES = ("ar", "en")
TSHIRT_SIZES = ("XS", "S", "M", "L", "XL", "XXL")


class VolunteerError(Exception):
    """A sign-up rule was broken; the message is safe to show to users."""


class Refused(VolunteerError):
    """Some chosen shifts were refused; nothing was saved. ``refusals``: shift id → Refusal."""

    def __init__(self, refusals):
        super().__init__(_l("Some of the shifts you chose cannot be taken."))
        self.refusals = refusals


@dataclass
class SignupOutcome:
    """What a sign-up did. ``created`` is false for a repeat (same email)."""

    volunteer: Volunteer
    created: bool
    signups: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Signing up


def clean_values(
    conference,
    *,
    email,
    full_name,
    phone,
    languages,
    age_group,
    language,
    tshirt_size,
    skills,
    sessions,
    guardian_name,
    guardian_email,
    privacy_accepted,
):
    """The sign-up's values, checked and cleaned. :raises VolunteerError: what is wrong."""
    full_name = text.clean_text(full_name)
    if not full_name:
        raise VolunteerError(_l("Enter your full name"))
    if len(full_name) > 200:
        raise VolunteerError(_l("Full name must be 200 characters or fewer"))
    email = _address(email)
    spoken = [code for code in LANGUAGES if code in (languages or ())]
    if not spoken:
        raise VolunteerError(_l("Select the languages you speak"))
    try:
        age_group = AgeGroup(age_group) if not isinstance(age_group, AgeGroup) else age_group
    except ValueError:
        raise VolunteerError(_l("Select your age group")) from None
    if tshirt_size not in (None, "", *TSHIRT_SIZES):
        raise VolunteerError(_l("Select a T-shirt size from the list"))
    if not privacy_accepted:
        raise VolunteerError(_l("Confirm you agree to the privacy notice"))
    values = {
        "email": email,
        "full_name": full_name,
        "phone": (text.clean_text(phone) or None) and text.clean_text(phone)[:40],
        "languages": spoken,
        "age_group": age_group,
        "language": language if language in LANGUAGES else "en",
        "tshirt_size": tshirt_size or None,
        "skills": sorted(set(skills or ())),
        "sessions": sorted(set(sessions or ())),
        "guardian_name": None,
        "guardian_email": None,
    }
    if age_group == AgeGroup.under_18:
        name = text.clean_text(guardian_name)
        if not name:
            raise VolunteerError(_l("Enter your parent or guardian's full name"))
        values["guardian_name"] = name[:200]
        values["guardian_email"] = _address(guardian_email, guardian=True)
        if values["guardian_email"] == email:
            raise VolunteerError(_l("Enter your parent or guardian's own email address, not yours"))
    return values


def _address(value, guardian=False):
    try:
        return text.normalise_email(value)
    except text.InvalidEmailAddress:
        if guardian:
            raise VolunteerError(
                _l("Enter your parent or guardian's email address in the correct format")
            ) from None
        raise VolunteerError(
            _l("Enter an email address in the correct format, like name@example.com")
        ) from None


def find_active_volunteer(conference, email):
    return db.session.scalar(
        sa.select(Volunteer).filter_by(
            conference_id=conference.id, email=email, status=VolunteerStatus.active
        )
    )


def sign_up(conference, *, shift_ids, submission_id=None, now=None, **details):
    """Sign someone up for ``shift_ids``: all of them, or none and every reason.

    ``details`` are ``clean_values``'s arguments. An address already signed up changes
    nothing and is emailed its link (the page answers as for a new volunteer); a
    repeated form (same ``submission_id``) returns what it made. A minor's places are
    held until their guardian confirms (``settings.guardian_hold_hours``). Commits.

    :raises VolunteerError: the input breaks a rule (``Refused``: shifts were refused).
    """
    now = now or utcnow()
    values = clean_values(conference, **details)
    shift_ids = sorted(set(shift_ids or ()))
    if not shift_ids:
        raise VolunteerError(_l("Select at least one shift"))
    for attempt in range(2):  # a unique index caught a concurrent twin: answer as a repeat
        try:
            return _sign_up(conference, values, shift_ids, submission_id, now)
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _sign_up(conference, values, shift_ids, submission_id, now):
    database.begin_write()
    if submission_id:
        twin = db.session.scalar(sa.select(Volunteer).filter_by(submission_id=submission_id))
        if twin is not None:
            db.session.commit()
            return SignupOutcome(twin, created=False)
    existing = find_active_volunteer(conference, values["email"])
    settings = checks.settings_of(conference)
    shifts = places.lock_shifts(conference, shift_ids)
    if len(shifts) != len(shift_ids):
        db.session.rollback()
        raise VolunteerError(_l("Select shifts from the list"))
    places.expire_holds_on(shifts, now)
    person = checks.person_facts(
        conference,
        languages=values["languages"],
        age_group=values["age_group"],
        skills=values["skills"],
        sessions=values["sessions"],
        language=values["language"],
    )
    # A repeat is checked as a newcomer would be: the answer must not tell them apart.
    refusals = checks.check(conference, person, shifts, now=now, settings=settings)
    if refusals:
        db.session.rollback()
        raise Refused(refusals)
    if existing is not None:
        outbox.enqueue(emails.already_signed_up(existing))
        db.session.commit()
        return SignupOutcome(existing, created=False)

    volunteer = Volunteer(
        conference=conference,
        submission_id=submission_id,
        privacy_accepted_at=now,
        created_at=now,
        updated_at=now,
        **values,
    )
    db.session.add(volunteer)
    held = volunteer.is_minor
    signups = [places.take(volunteer, shift, now, settings, held=held) for shift in shifts]
    db.session.flush()
    if held:
        outbox.enqueue(emails.guardian_request(volunteer), key=f"volunteer:{volunteer.id}:guardian")
        outbox.enqueue(emails.awaiting_guardian(volunteer), key=f"volunteer:{volunteer.id}:held")
    else:
        outbox.enqueue(emails.confirmation(volunteer, signups), key=f"volunteer:{volunteer.id}:new")
        places.schedule_reminders(signups, settings, now)
    audit.record("volunteer.signed_up", volunteer=volunteer.id, shifts=len(signups), minor=held)
    db.session.commit()
    return SignupOutcome(volunteer, created=True, signups=signups)


# ---------------------------------------------------------------------------------------
# The private link


def mint_token(volunteer, purpose=TokenPurpose.manage):
    """A new private link token for ``volunteer``; only its hash is stored."""
    token = new_token()
    volunteer.tokens.append(
        VolunteerToken(purpose=purpose, token_hash=token_hash(token), created_at=utcnow())
    )
    return token


def find_by_token(token, purpose=TokenPurpose.manage):
    """The active volunteer whose link holds ``token``, or ``None``."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Volunteer)
        .join(VolunteerToken)
        .where(
            VolunteerToken.token_hash == token_hash(token),
            VolunteerToken.purpose == purpose,
            Volunteer.status == VolunteerStatus.active,
        )
    )


def add_shifts(volunteer, shift_ids, *, now=None):
    """Add ``shift_ids`` to ``volunteer``'s shifts from their link: all or none. Commits.

    :raises Refused: a shift is refused (nothing is saved).
    """
    now = now or utcnow()
    shift_ids = sorted(set(shift_ids or ()))
    if not shift_ids:
        raise VolunteerError(_l("Select at least one shift"))
    volunteer = places.lock_volunteer(volunteer)
    if volunteer is None or not volunteer.is_active:
        db.session.rollback()
        raise VolunteerError(_l("This volunteer sign-up no longer exists."))
    conference = volunteer.conference
    settings = checks.settings_of(conference)
    shifts = places.lock_shifts(conference, shift_ids)
    if len(shifts) != len(shift_ids):
        db.session.rollback()
        raise VolunteerError(_l("Select shifts from the list"))
    places.expire_holds_on(shifts, now)
    current = volunteer.current_signups
    person = checks.person_facts(
        conference,
        languages=volunteer.languages,
        age_group=volunteer.age_group,
        skills=volunteer.skills,
        sessions=volunteer.sessions,
        current=current,
        language=volunteer.language,
    )
    refusals = checks.check(conference, person, shifts, now=now, settings=settings, deadline=True)
    if refusals:
        db.session.rollback()
        raise Refused(refusals)
    held = volunteer.needs_guardian
    signups = [places.take(volunteer, shift, now, settings, held=held) for shift in shifts]
    volunteer.updated_at = now
    db.session.flush()
    if not held:
        outbox.enqueue(emails.shifts_added(volunteer, signups))
        places.schedule_reminders(signups, settings, now)
    audit.record("volunteer.shifts_added", volunteer=volunteer.id, shifts=len(signups))
    db.session.commit()
    return signups


def drop_shift(volunteer, shift_id, *, now=None, actor=None, reason=None):
    """Drop ``volunteer``'s place on ``shift_id``; the next person may take it. Commits.

    From the private link (no ``actor``) only until the change deadline; coordinators
    (``actor``) at any time, and the volunteer is told who changed it.

    :raises VolunteerError: not their shift, or too late.
    """
    now = now or utcnow()
    volunteer = places.lock_volunteer(volunteer)
    signup = next(
        (s for s in (volunteer.signups if volunteer else []) if s.shift_id == shift_id), None
    )
    if signup is None or not signup.is_current:
        db.session.rollback()
        raise VolunteerError(_l("You are not signed up for this shift."))
    conference = volunteer.conference
    settings = checks.settings_of(conference)
    (shift,) = places.lock_shifts(conference, [shift_id])
    if actor is None and shift.starts_at < now + timedelta(hours=settings.change_deadline_hours):
        db.session.rollback()
        raise VolunteerError(rules.MESSAGES[rules.Reason.deadline])
    places.release(signup, shift, now)
    volunteer.updated_at = now
    outbox.enqueue(emails.shift_dropped(signup, by_staff=actor is not None, reason=reason))
    audit.record(
        "volunteer.shift_dropped",
        actor=actor,
        volunteer=volunteer.id,
        shift=shift.id,
        by_staff=actor is not None,
    )
    db.session.commit()
    return signup


def confirm_guardian(token, *, now=None):
    """The guardian's confirmation: their minor's held places become confirmed. Commits.

    Returns the volunteer, or ``None`` for an unknown link. Places whose hold ended are
    gone (the volunteer can add them again from their link); a second confirmation
    changes nothing.
    """
    now = now or utcnow()
    found = find_by_token(token, TokenPurpose.guardian)
    if found is None:
        return None
    volunteer = places.lock_volunteer(found)
    if volunteer.guardian_confirmed_at is not None:
        db.session.commit()
        return volunteer
    conference = volunteer.conference
    settings = checks.settings_of(conference)
    held = [s for s in volunteer.signups if s.status == SignupStatus.held]
    shifts = places.lock_shifts(conference, [s.shift_id for s in held])
    places.expire_holds_on(shifts, now)
    confirmed = []
    for signup in held:
        if signup.status == SignupStatus.held:
            signup.status = SignupStatus.confirmed
            signup.held_until = None
            signup.confirmed_at = now
            confirmed.append(signup)
    volunteer.guardian_confirmed_at = now
    volunteer.updated_at = now
    db.session.flush()
    outbox.enqueue(
        emails.confirmation(volunteer, confirmed), key=f"volunteer:{volunteer.id}:confirmed"
    )
    places.schedule_reminders(confirmed, settings, now)
    audit.record("volunteer.guardian_confirmed", volunteer=volunteer.id, shifts=len(confirmed))
    db.session.commit()
    return volunteer


def expire_holds(conference, *, now=None):
    """Release every expired hold of ``conference`` (``flask volunteers expire-holds``).

    Returns how many places were freed. Commits.
    """
    now = now or utcnow()
    database.begin_write()
    ids = db.session.scalars(
        sa.select(ShiftSignup.shift_id)
        .join(Shift)
        .where(
            Shift.conference_id == conference.id,
            ShiftSignup.status == SignupStatus.held,
            ShiftSignup.held_until <= now,
        )
        .distinct()
    ).all()
    released = places.expire_holds_on(places.lock_shifts(conference, ids), now)
    db.session.commit()
    return len(released)


def erase_volunteer(volunteer, *, now=None, actor=None):
    """Forget ``volunteer``: places freed, messages dropped, personal data blanked. Commits.

    A last email confirms it and is then forgotten too.
    """
    now = now or utcnow()
    volunteer = places.lock_volunteer(volunteer)
    if volunteer is None or not volunteer.is_active:
        db.session.rollback()
        return None
    current = volunteer.current_signups
    shifts = {
        s.id: s for s in places.lock_shifts(volunteer.conference, [s.shift_id for s in current])
    }
    for signup in current:
        places.release(signup, shifts[signup.shift_id], now)
    address, language = volunteer.email, volunteer.language
    for address_used in filter(None, {address, volunteer.guardian_email}):
        outbox.forget_recipient(address_used, kind_prefix=emails.KIND_PREFIX)
    outbox.enqueue(emails.erased(address, language), forget_after_sending=True)
    for name in ("full_name", "phone", "tshirt_size", "guardian_name", "guardian_email"):
        setattr(volunteer, name, "" if name == "full_name" else None)
    volunteer.email = ""
    volunteer.languages = []
    volunteer.skills = []
    volunteer.sessions = []
    volunteer.feed_token_hash = None
    volunteer.submission_id = None
    volunteer.status = VolunteerStatus.erased
    volunteer.updated_at = now
    volunteer.tokens.clear()
    audit.record("volunteer.erased", actor=actor, volunteer=volunteer.id)
    db.session.commit()
    return volunteer


def new_feed_token(volunteer):
    """Give ``volunteer`` a new calendar feed link (the old one stops working). Commits."""
    volunteer = places.lock_volunteer(volunteer)
    token = new_token()
    volunteer.feed_token_hash = token_hash(token)
    db.session.commit()
    return token


def revoke_feed(volunteer):
    """Stop ``volunteer``'s calendar feed link. Commits."""
    volunteer = places.lock_volunteer(volunteer)
    volunteer.feed_token_hash = None
    db.session.commit()


def find_by_feed_token(token):
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Volunteer).where(
            Volunteer.feed_token_hash == token_hash(token),
            Volunteer.status == VolunteerStatus.active,
        )
    )


def hours_worked(volunteer):
    """The shifts ``volunteer`` worked (arrived, not dropped) and their total hours."""
    from conference.volunteers.models import Attendance

    worked = [
        s
        for s in volunteer.current_signups
        if s.status == SignupStatus.confirmed and s.attendance == Attendance.arrived
    ]
    return worked, sum(s.shift.hours for s in worked)
