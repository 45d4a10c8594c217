"""Form building blocks that every feature's forms share: filters that clean text as it
arrives, validators with the user's message, a group of checkboxes, a confirm button.

Text answers are cleaned as they arrive (``text.clean_text``: no control characters, no
bidi overrides, spaces trimmed), so lengths are checked on what would be stored, and
nothing a database cannot hold (such as NUL) gets past a form.
"""

import re

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from conference.text import InvalidEmailAddress, clean_text, normalise_email

# Characters a phone number may hold besides digits (of any script): "+1 (202) 555-0143".
PHONE_PUNCTUATION = re.compile(r"[\s+().\-/]|ext\.?|x", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Filters: run on every submitted value before validation


def single_line(value):
    """Cleaned one-line text: ``""`` when nothing is left."""
    return clean_text(value) or ""


def multi_line(value):
    """Cleaned text that keeps its line breaks: ``""`` when nothing is left."""
    return clean_text(value, multiline=True) or ""


def email_text(value):
    """An address as typed, without surrounding spaces (checked, never silently changed)."""
    return value.strip() if isinstance(value, str) else value


# ---------------------------------------------------------------------------------------
# Validators and fields


def text_in(lang, label, *, too_long, limit, required=None, area=False):
    """A text field for one language of a bilingual text (a name, a description): cleaned,
    bounded, required only with a ``required`` message, marked with its language."""
    validators = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=limit, message=too_long))
    field = TextAreaField if area else StringField
    return field(
        label,
        filters=[multi_line if area else single_line],
        validators=validators,
        render_kw={"dir": "auto", "lang": lang, "spellcheck": "true"},
    )


class EmailAddress:
    """An email address in the correct format (syntax only: nothing is looked up)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        try:  # the one rule services use too: full-width forms (＠) are the ASCII ones
            normalise_email(field.data)
        except InvalidEmailAddress:
            raise StopValidation(self.message) from None


class PhoneNumber:
    """Digits (Western or Arabic-Indic) with the usual punctuation: "+1 (202) 555-0143"."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        rest = PHONE_PUNCTUATION.sub("", field.data or "")
        if not rest.isdecimal() or not 5 <= len(rest) <= 20:
            raise ValidationError(self.message)


class Choices:
    """At least one option, every one of them offered (an unknown value is not echoed)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        offered = {choice.value for choice in field.choices or []}
        if not field.data or not set(field.data) <= offered:
            raise StopValidation(self.message)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (WTForms' documented recipe); ``_macros/forms.html`` renders it."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (confirming an action that changes things)."""
