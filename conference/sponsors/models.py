"""Sponsor accounts: a staff user with the sponsor role sees the portal of one sponsor."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.accounts.models import User
from conference.content.models import Sponsor
from conference.extensions import db


class SponsorAccount(db.Model):
    """Ties a user with the sponsor role to the sponsor whose portal they see."""

    __tablename__ = "sponsor_account"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True
    )
    sponsor_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("sponsor.id", ondelete="CASCADE"), index=True
    )

    user: so.Mapped[User] = so.relationship()
    sponsor: so.Mapped[Sponsor] = so.relationship()
