"""The coordinators' pages: board, teams, attendance, hours, roles and shifts, exports."""

from flask import Blueprint

bp = Blueprint("volunteers_staff", __name__, url_prefix="/manage/volunteers")
