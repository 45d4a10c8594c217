"""Helpers for the calendar tests: every .ics is read back by two independent parsers."""

import re

import pytest
import vobject
from icalendar import Calendar


def read_ics(data):
    """Return ``data`` parsed by icalendar, after checking it as strictly as we can.

    icalendar is lenient (bad values end up in ``component.errors``); vobject's
    ``validate`` catches missing required properties. Folded lines must stay within 75
    octets and never split a UTF-8 character.
    """
    assert isinstance(data, bytes)
    lines = data.split(b"\r\n")
    assert lines[-1] == b"", "the file ends with CRLF"
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if folding split a character
    # Times are UTC or whole days: a TZID would need a VTIMEZONE that Outlook mis-reads.
    assert b"TZID" not in data
    unfolded = data.replace(b"\r\n ", b"")
    times = re.findall(rb"^DT(?:START|END|STAMP)[;:].*$", unfolded, re.MULTILINE)
    assert times, "no DTSTART, DTEND or DTSTAMP found"
    for line in times:
        assert re.fullmatch(rb"DT\w+(:\d{8}T\d{6}Z|;VALUE=DATE:\d{8})\r", line), line
    assert not re.search(rb"^DTSTAMP;", unfolded, re.MULTILINE)
    calendar = Calendar.from_ical(data)
    for component in calendar.walk():
        assert component.errors == [], (component.name, component.errors)
    text = data.decode("utf-8")
    vobject.readOne(text).validate(raiseException=True)
    [read_back] = list(vobject.readComponents(text))
    read_back.validate(raiseException=True)
    return calendar


@pytest.fixture
def parse_ics():
    """Return ``read_ics``: parse an .ics strictly, failing the test on any error."""
    return read_ics
