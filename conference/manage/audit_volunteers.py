"""The volunteers' audit actions in words (``audit_text.ACTIONS`` takes them from
``volunteer_actions``): what coordinators looked at, marked, moved, emailed and exported.
The shift and the person are linked to their pages (which answer only within the
reader's scope). ``Entry`` is passed in: this module does not import ``audit_text``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape

from conference.manage.audit_setup import setup_actions
from conference.manage.audit_values import (
    fact,
    humanise,
    link,
    ltr,
    present,
    semicolon,
    track_name,
    value_text,
    words,
)

GENERAL = "general"  # the scope of the roles outside any track (volunteers.models.GENERAL)


def _shift(details, key="shift_id"):
    shift_id = details.get(key, details.get("shift") if key == "shift_id" else None)
    text = words(_("shift %(number)s", number=ltr(shift_id)))
    if not isinstance(shift_id, int):
        return text
    return link(text, "volunteers_staff.shift", shift_id=shift_id)


def _person(details):
    volunteer_id = details.get("volunteer_id", details.get("volunteer"))
    text = words(_("volunteer %(number)s", number=ltr(volunteer_id)))
    if not isinstance(volunteer_id, int):
        return text
    return link(text, "volunteers_staff.person", volunteer_id=volunteer_id)


def _entry(Entry, message_of):  # noqa: N803 - the class
    def describe(event):
        details = event.details or {}
        return Entry(words(message_of(details, shift=_shift(details), volunteer=_person(details))))

    return describe


ATTENDANCE_WORDS = {"arrived": _l("arrived"), "no_show": _l("did not come")}


def _attendance(details, shift, volunteer):
    mark = details.get("attendance")
    if mark in ATTENDANCE_WORDS:
        return _(
            "%(volunteer)s marked %(mark)s on %(shift)s",
            volunteer=volunteer,
            mark=escape(ATTENDANCE_WORDS[mark]),
            shift=shift,
        )
    return _(
        "Attendance of %(volunteer)s on %(shift)s taken back", volunteer=volunteer, shift=shift
    )


def _moved(details, shift, volunteer):
    return _(
        "%(volunteer)s moved from %(before)s to %(after)s",
        volunteer=volunteer,
        before=_shift(details, "from_shift_id"),
        after=_shift(details, "to_shift_id"),
    )


def _emailed(details, shift, volunteer):
    count = details.get("recipients") if isinstance(details.get("recipients"), int) else 0
    return ngettext(
        "Email sent to the %(num)s person on %(shift)s",
        "Email sent to the %(num)s people on %(shift)s",
        count,
        shift=shift,
    )


def _filters(filters):
    """The volunteer list's filters in words: "Track: Arts; Day: 2022-03-18"."""
    labels = {
        "q": _("Name or email address"),
        "track": _("Track"),
        "role": _("Role"),
        "day": _("Day"),
    }
    parts = []
    for name, value in filters.items():
        if name == "q":
            shown = Markup('<bdi dir="auto">{}</bdi>').format(value)
        elif name == "track":
            shown = escape(_("Whole conference") if value == GENERAL else track_name(value))
        else:
            shown = ltr(value)
        parts.append(fact(labels.get(name, humanise(name)), shown))
    return Markup(semicolon()).join(part for part in parts if part is not None) or None


def _listed(Entry, event):  # noqa: N803
    filters = (event.details or {}).get("filters") or {}
    return Entry(
        escape(_("Volunteer list searched")), present(fact(_("Filters"), _filters(filters)))
    )


def _exported(Entry, event):  # noqa: N803
    details = event.details or {}
    rows = details.get("rows")
    file_format = value_text("format", details.get("format")) or ""
    if isinstance(rows, int) and details.get("complete"):
        summary = ngettext(
            "Volunteer roster exported as %(format)s: %(num)s row",
            "Volunteer roster exported as %(format)s: %(num)s rows",
            rows,
            format=file_format,
        )
    else:
        summary = _("Volunteer roster export as %(format)s started", format=file_format)
    shift = _shift(details) if isinstance(details.get("shift_id"), int) else None
    return Entry(words(summary), present(fact(_("Shift"), shift)))


def _count(details):
    shifts = details.get("shifts")
    return shifts if isinstance(shifts, int) else 0


def _signed_up(details, shift, volunteer):
    if details.get("minor"):
        return ngettext(
            "%(volunteer)s signed up for %(num)s shift, held for their guardian",
            "%(volunteer)s signed up for %(num)s shifts, held for their guardian",
            _count(details),
            volunteer=volunteer,
        )
    return ngettext(
        "%(volunteer)s signed up for %(num)s shift",
        "%(volunteer)s signed up for %(num)s shifts",
        _count(details),
        volunteer=volunteer,
    )


def _dropped(details, shift, volunteer):
    if details.get("by_staff"):
        return _("%(volunteer)s taken off %(shift)s by staff", volunteer=volunteer, shift=shift)
    return _("%(volunteer)s dropped %(shift)s", volunteer=volunteer, shift=shift)


def volunteer_actions(Entry):  # noqa: N803 - audit_text's class
    """The volunteers' actions: code → (name, function of an event → ``Entry``)."""
    return {
        "volunteers.team_viewed": (
            _l("Volunteer team viewed"),
            _entry(
                Entry, lambda details, shift, volunteer: _("Team of %(shift)s viewed", shift=shift)
            ),
        ),
        "volunteers.person_viewed": (
            _l("Volunteer's details viewed"),
            _entry(
                Entry,
                lambda details, shift, volunteer: _(
                    "Details of %(volunteer)s viewed", volunteer=volunteer
                ),
            ),
        ),
        "volunteers.listed": (_l("Volunteer list searched"), lambda event: _listed(Entry, event)),
        "volunteers.attendance_marked": (
            _l("Volunteer attendance marked"),
            _entry(Entry, _attendance),
        ),
        "volunteers.moved": (_l("Volunteer moved to another shift"), _entry(Entry, _moved)),
        "volunteers.team_emailed": (_l("Email sent to a volunteer team"), _entry(Entry, _emailed)),
        "volunteers.exported": (
            _l("Volunteer roster exported"),
            lambda event: _exported(Entry, event),
        ),
        "volunteers.certificate_viewed": (
            _l("Volunteer's certificate of hours viewed"),
            _entry(
                Entry,
                lambda details, shift, volunteer: _(
                    "Certificate of hours of %(volunteer)s viewed", volunteer=volunteer
                ),
            ),
        ),
        "volunteer.signed_up": (_l("Volunteer signed up"), _entry(Entry, _signed_up)),
        "volunteer.shifts_added": (
            _l("Volunteer added shifts"),
            _entry(
                Entry,
                lambda details, shift, volunteer: ngettext(
                    "%(volunteer)s added %(num)s shift",
                    "%(volunteer)s added %(num)s shifts",
                    _count(details),
                    volunteer=volunteer,
                ),
            ),
        ),
        "volunteer.shift_dropped": (_l("Volunteer's shift dropped"), _entry(Entry, _dropped)),
        "volunteer.guardian_confirmed": (
            _l("Guardian confirmed a volunteer"),
            _entry(
                Entry,
                lambda details, shift, volunteer: _(
                    "The guardian of %(volunteer)s confirmed their shifts", volunteer=volunteer
                ),
            ),
        ),
        "volunteer.erased": (
            _l("Volunteer erased"),
            _entry(
                Entry,
                lambda details, shift, volunteer: _("%(volunteer)s erased", volunteer=volunteer),
            ),
        ),
        # Roles, shifts, the settings and the coordinators' tracks (the set-up pages).
        **setup_actions(Entry),
    }
