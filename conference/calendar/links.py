"""'Add to calendar' links for Google Calendar and Outlook.com.

Pure: a ``CalendarEvent`` in, a URL out. The links are plain ``<a href>`` targets the
visitor chooses to follow; the page itself loads nothing from these hosts. Times go in
as UTC (``...Z``) or, for all-day events, as dates with the exclusive end of the .ics
files, which both services read the same way.
"""

from urllib.parse import quote, urlencode

GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
OUTLOOK_CALENDAR = "https://outlook.live.com/calendar/0/deeplink/compose"
# Longer descriptions are cut: each Arabic letter costs six characters in a URL, and the
# services refuse URLs of several kilobytes.
MAX_DETAILS = 500


def google_calendar_url(event):
    """Return a Google Calendar link that opens ``event`` ready to be saved."""
    if event.is_all_day:
        dates = f"{event.start:%Y%m%d}/{event.end:%Y%m%d}"
    else:
        end = event.end or event.start
        dates = f"{event.start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"
    params = {"action": "TEMPLATE", "text": event.summary, "dates": dates}
    params |= _optional(details=_details(event), location=event.location)
    return f"{GOOGLE_CALENDAR}?{_query(params)}"


def outlook_calendar_url(event):
    """Return an Outlook.com link that opens ``event`` ready to be saved."""
    if event.is_all_day:
        start, end = event.start.isoformat(), event.end.isoformat()
    else:
        start = f"{event.start:%Y-%m-%dT%H:%M:%SZ}"
        end = f"{(event.end or event.start):%Y-%m-%dT%H:%M:%SZ}"
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.summary,
        "startdt": start,
        "enddt": end,
        "allday": "true" if event.is_all_day else "false",
    }
    params |= _optional(body=_details(event), location=event.location)
    return f"{OUTLOOK_CALENDAR}?{_query(params)}"


def _details(event):
    text = event.description.strip()
    if len(text) > MAX_DETAILS:
        text = text[: MAX_DETAILS - 1].rstrip() + "…"
    if event.url and event.url not in text:
        text = f"{text}\n\n{event.url}" if text else event.url
    return text


def _optional(**values):
    return {name: value for name, value in values.items() if value}


def _query(params):
    # Spaces as %20, not "+": "+" stands for a space only in form data, and these
    # parameters are read by each service's own script.
    return urlencode(params, quote_via=quote, safe="")
