"""Organizers' changes to sponsors, tiers and sponsor accounts.

Each change commits on its own, is audited (worded in ``manage.audit_showcase``), marks
the row as organizers' (``edited_at``, ``edited_by``: loading the content file then keeps
it) and gives the conference a new content version, so the cached conference and
sponsors pages render anew in every process.

Sponsor accounts are staff users with the sponsor role, invited through the accounts'
own invitation (``accounts.services.invite_user``) and tied to one sponsor
(``SponsorAccount``); removing one unties it and disables the user, whose audit trail
stays.
"""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from conference import audit
from conference.access import Role
from conference.accounts import services as accounts
from conference.accounts import sessions
from conference.clock import utcnow
from conference.content.models import Sponsor, SponsorTier
from conference.content.services import touch_content_version
from conference.extensions import db
from conference.sponsors import logos
from conference.sponsors.models import SponsorAccount


class SponsorError(Exception):
    """A change refused; ``str()`` is the message, ``field`` the form field it concerns."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


# --- Reading ---------------------------------------------------------------------------


def tiers_of(conference):
    return db.session.scalars(
        sa.select(SponsorTier)
        .where(SponsorTier.conference_id == conference.id)
        .order_by(SponsorTier.position, SponsorTier.id)
    ).all()


def sponsor_of(conference, sponsor_id):
    sponsor = db.session.get(Sponsor, sponsor_id)
    return sponsor if sponsor is not None and sponsor.conference_id == conference.id else None


def tier_of(conference, tier_id):
    tier = db.session.get(SponsorTier, tier_id)
    return tier if tier is not None and tier.conference_id == conference.id else None


def accounts_of(sponsor):
    return db.session.scalars(
        sa.select(SponsorAccount)
        .where(SponsorAccount.sponsor_id == sponsor.id)
        .order_by(SponsorAccount.id)
    ).all()


# --- Sponsors --------------------------------------------------------------------------


def _mark(row, actor):
    row.edited_at = utcnow()
    row.edited_by = actor.email if actor is not None else None


def _new_key(conference, text, taken):
    base = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:24] or "sponsor"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _details(sponsor, **more):
    return {"sponsor_id": sponsor.id, "sponsor": sponsor.key, "name": sponsor.name["en"], **more}


def _check_tier(conference, tier):
    if tier not in {t.key for t in tiers_of(conference)}:
        raise SponsorError(_l("Choose the sponsor's tier"), "tier")


def create_sponsor(conference, values, *, logo=None, actor):
    """Add a sponsor at the end of its tier; ``logo`` is ``logos.prepare``'s. Commits."""
    _check_tier(conference, values["tier"])
    taken = {s.key for s in conference.sponsors}
    position = max((s.position for s in conference.sponsors), default=-1) + 1
    sponsor = Sponsor(
        conference=conference,
        key=_new_key(conference, values["name"]["en"], taken),
        position=position,
        is_sample=False,
        **values,
    )
    _mark(sponsor, actor)
    db.session.add(sponsor)
    if logo is not None:
        logos.apply(sponsor, logo)
    db.session.flush()
    audit.record("sponsor.created", actor=actor, **_details(sponsor))
    touch_content_version(conference)
    db.session.commit()
    return sponsor


def update_sponsor(sponsor, values, *, logo=None, remove_logo=False, actor):
    """Change a sponsor; a new ``logo`` replaces the old, ``remove_logo`` takes it away.

    Commits. Returns whether anything changed (nothing is recorded when nothing did).
    """
    _check_tier(sponsor.conference, values["tier"])
    changed = [name for name, value in values.items() if getattr(sponsor, name) != value]
    for name in changed:
        setattr(sponsor, name, values[name])
    if logo is not None:
        if logos.apply(sponsor, logo):
            changed.append("logo")
    elif remove_logo and logos.remove(sponsor):
        changed.append("logo removed")
    if not changed:
        db.session.rollback()
        return False
    _mark(sponsor, actor)
    audit.record("sponsor.updated", actor=actor, **_details(sponsor, changed=changed))
    touch_content_version(sponsor.conference)
    db.session.commit()
    return True


def delete_sponsor(sponsor, *, actor):
    """Delete a sponsor, its logo, and untie (and disable) its sponsor accounts. Commits."""
    conference = sponsor.conference
    for account in accounts_of(sponsor):
        _untie(account, actor)
    details = _details(sponsor)
    logos.remove(sponsor)
    conference.sponsors.remove(sponsor)
    db.session.delete(sponsor)
    audit.record("sponsor.deleted", actor=actor, **details)
    touch_content_version(conference)
    db.session.commit()


def move_sponsor(sponsor, direction, *, actor):
    """Move a sponsor one place up or down among its tier's sponsors. Commits."""
    same_tier = sorted(
        (s for s in sponsor.conference.sponsors if s.tier == sponsor.tier),
        key=lambda s: (s.position, s.id),
    )
    if not _swap(same_tier, sponsor, direction, actor):
        return False
    audit.record("sponsor.moved", actor=actor, **_details(sponsor, direction=direction))
    touch_content_version(sponsor.conference)
    db.session.commit()
    return True


def _swap(rows, row, direction, actor):
    """Swap ``row`` with its neighbour in ``rows`` (renumbered first); whether it moved."""
    index = rows.index(row)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rows):
        return False
    positions = sorted(r.position for r in rows)
    if len(set(positions)) < len(positions):  # ties: number them apart first
        positions = [positions[0] + n for n in range(len(rows))]
    for r, position in zip(rows, positions, strict=True):
        r.position = position
    rows[index].position, rows[other].position = rows[other].position, rows[index].position
    _mark(rows[index], actor)
    _mark(rows[other], actor)
    return True


# --- Tiers -----------------------------------------------------------------------------


def create_tier(conference, label, *, actor):
    """Add a tier after the others. Commits."""
    tiers = tiers_of(conference)
    tier = SponsorTier(
        conference_id=conference.id,
        key=_new_key(conference, label["en"], {t.key for t in tiers})[:32],
        label=label,
        position=max((t.position for t in tiers), default=-1) + 1,
    )
    _mark(tier, actor)
    db.session.add(tier)
    db.session.flush()
    audit.record("sponsor_tier.created", actor=actor, tier=tier.key, label=label["en"])
    touch_content_version(conference)
    db.session.commit()
    return tier


def update_tier(conference, tier, label, *, actor):
    """Change a tier's labels. Commits. Returns whether they changed."""
    if tier.label == label:
        return False
    tier.label = label
    _mark(tier, actor)
    audit.record("sponsor_tier.updated", actor=actor, tier=tier.key, label=label["en"])
    touch_content_version(conference)
    db.session.commit()
    return True


def move_tier(conference, tier, direction, *, actor):
    """Move a tier one place up or down. Commits."""
    if not _swap(list(tiers_of(conference)), tier, direction, actor):
        return False
    audit.record("sponsor_tier.moved", actor=actor, tier=tier.key, direction=direction)
    touch_content_version(conference)
    db.session.commit()
    return True


def delete_tier(conference, tier, *, actor):
    """Delete a tier no sponsor is in. Commits.

    :raises SponsorError: sponsors are still in it.
    """
    if any(s.tier == tier.key for s in conference.sponsors):
        raise SponsorError(_l("Sponsors are still in this tier: move them to another tier first."))
    audit.record("sponsor_tier.deleted", actor=actor, tier=tier.key, label=tier.label["en"])
    db.session.delete(tier)
    touch_content_version(conference)
    db.session.commit()


# --- Sponsor accounts ------------------------------------------------------------------


def invite_account(sponsor, email, name, *, actor):
    """Invite ``email`` to the sponsor portal of ``sponsor`` (the accounts' invitation).

    Commits. :raises SponsorError: the address has an account already, or is malformed.
    """
    try:
        user = accounts.invite_user(email, role=Role.sponsor.value, name=name or "", actor=actor)
    except accounts.AccountError as exc:
        raise SponsorError(str(exc), "email") from None
    account = SponsorAccount(user_id=user.id, sponsor_id=sponsor.id)
    db.session.add(account)
    audit.record("sponsor.account_added", actor=actor, **_details(sponsor, user=user.email))
    db.session.commit()
    return account


def account_of(sponsor, account_id):
    account = db.session.get(SponsorAccount, account_id)
    return account if account is not None and account.sponsor_id == sponsor.id else None


def remove_account(account, *, actor):
    """Untie a sponsor account and disable its user (the audit trail stays). Commits."""
    _untie(account, actor)
    db.session.commit()


def _untie(account, actor):
    user, sponsor = account.user, account.sponsor
    db.session.delete(account)
    user.is_enabled = False
    db.session.flush()
    sessions.end_all(user.id)
    audit.record("sponsor.account_removed", actor=actor, **_details(sponsor, user=user.email))
