"""A lost private link: sent again to a volunteer's address, answered the same either way."""

from conference import database, text
from conference.extensions import db
from conference.mailer import outbox
from conference.volunteers import emails
from conference.volunteers.services import find_active_volunteer


def send_link(conference, email):
    """Email ``email``'s volunteer their private link, if there is one. Commits.

    The caller shows the same answer either way: nobody learns who volunteers.
    """
    try:
        email = text.normalise_email(email)
    except text.InvalidEmailAddress:
        return
    database.begin_write()
    volunteer = find_active_volunteer(conference, email)
    if volunteer is not None:
        outbox.enqueue(emails.already_signed_up(volunteer))
    db.session.commit()
