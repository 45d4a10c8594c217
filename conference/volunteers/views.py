"""The public volunteer sign-up."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)
