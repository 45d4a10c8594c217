"""The volunteer's private link, the guardian's confirmation, the feed, the certificate."""

from flask import Blueprint

bp = Blueprint("volunteer", __name__)
