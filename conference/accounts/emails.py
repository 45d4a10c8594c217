"""The emails accounts cause: the invitation to set a password."""

import sqlalchemy as sa

from conference.access import Role
from conference.accounts.models import User
from conference.accounts.services import INVITE_VALID
from conference.clock import utcnow
from conference.mailer import outbox
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, render_email
from conference.tokens import new_token, token_hash
from conference.urls import external_url

# Mints an invitation link: only for the account the message is addressed to, while it
# is enabled (a link never goes to an address the account no longer has).
_MINT_INVITATION = (
    sa.update(User.__table__)
    .where(
        User.__table__.c.id == sa.bindparam("user_id"),
        User.__table__.c.email == sa.bindparam("address"),
        User.__table__.c.is_enabled.is_(True),
    )
    .values(invite_hash=sa.bindparam("token_hash"), invite_expires_at=sa.bindparam("until"))
)


@outbox.renderer("accounts.invitation")
def render_invitation(row, rendering):
    """The invitation, with a link minted now; organizers reading it see no working link."""
    user_id = row.snapshot.get("user")
    link = row.snapshot.get("_link")  # an invitation queued before links were minted here
    if rendering.display or (user_id is None and not link):
        link = PRIVATE_LINK_REMOVED
    elif user_id is not None:
        token = new_token()
        rendering.stage(
            _MINT_INVITATION,
            user_id=user_id,
            address=row.recipient,
            token_hash=token_hash(token),
            until=utcnow() + INVITE_VALID,
        )
        link = external_url("accounts.accept_invitation", token=token)
    return render_email(
        "accounts/invitation",
        to=row.recipient,
        name=row.recipient_name,
        language=row.language,
        link=link,
        role=Role(row.snapshot["role"]),
        inviter=row.snapshot.get("inviter"),
    )
