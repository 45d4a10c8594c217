"""Sign-in and account forms. Messages are translated; rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from conference.access import Role

ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.organizer: _l("Organizer"),
    Role.coordinator: _l("Volunteer coordinator"),
    Role.checkin: _l("Check-in staff"),
    Role.sponsor: _l("Sponsor"),
}

# The role that sees the least: aggregates only, no page of its own.
LEAST_PRIVILEGED = Role.sponsor


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address")), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false", "dir": "ltr"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password")), Length(max=200)],
        render_kw={"autocomplete": "current-password", "dir": "ltr"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("Or one of your recovery codes"),
        validators=[
            DataRequired(_l("Enter the 6-digit code from your authenticator app")),
            Length(max=40),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "dir": "ltr",
            "spellcheck": "false",
        },
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a good one."),
        validators=[DataRequired(_l("Enter a password")), Length(max=200)],
        render_kw={"autocomplete": "new-password", "dir": "ltr"},
    )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter an email address")),
            Email(_l("Enter an email address in the correct format, like name@example.com")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"},
    )
    name = StringField(
        _l("Name (optional)"),
        validators=[Length(max=200)],
        render_kw={"dir": "auto", "autocomplete": "off"},
    )
    # An invitation grants the least privileged role unless the admin chooses another.
    role = SelectField(_l("Role"), choices=lambda: role_choices(), default=LEAST_PRIVILEGED.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=lambda: role_choices())


def role_choices():
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
