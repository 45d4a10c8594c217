"""The unsubscribe link in announcements: a signed token carrying the registration id.

No row per message: the token is made when a recipient's copy is rendered, and it does
not expire. Links in old emails keep working after a key rotation (SECRET_KEY_FALLBACKS).
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from conference.extensions import db
from conference.registration.models import Registration, RegistrationStatus
from conference.urls import external_url

UNSUBSCRIBE_SALT = "announcements-unsubscribe"
ENDPOINT = "subscription.unsubscribe"


def serializer():
    """The signer of unsubscribe tokens (it derives its key once: keep it for a batch)."""
    config = current_app.config
    keys = [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]
    return URLSafeSerializer(keys, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(registration_id):
    """The token in a registration's unsubscribe link: its id, signed. It does not expire."""
    return serializer().dumps(registration_id)


def unsubscribe_url(token):
    """The full address of the unsubscribe page for ``token``."""
    return external_url(ENDPOINT, token=token)


def sample_unsubscribe_url():
    """An unsubscribe link that looks like the real ones and unsubscribes nobody."""
    return unsubscribe_url(unsubscribe_token(0))


def find_by_unsubscribe_token(token):
    """Return the registration an unsubscribe token names, or ``None`` (forged, erased)."""
    if not token or len(token) > 200:
        return None
    try:
        registration_id = serializer().loads(token)
    except BadSignature:
        return None
    if type(registration_id) is not int:
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status == RegistrationStatus.erased:
        return None
    return registration
