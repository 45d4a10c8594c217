"""Reading the content file: its TOML, and each table checked and turned into the values
of its rows. Pure checks: no database; a problem is a ``ContentError`` that names the
place in the file and what is wrong.
"""

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conference.config import LANGUAGES
from conference.content.models import SessionKind


class ContentError(Exception):
    """The content file is not usable. The message names the place and the problem."""


def read_toml(path):
    """Return the parsed TOML file at ``path``.

    :raises ContentError: the file is missing or is not valid TOML.
    """
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: {exc}") from None


def registration_window(table, timezone):
    if not isinstance(table, dict):
        raise ContentError("conference.registration: expected a table")
    status = table.get("status", "closed")
    if status not in ("open", "closed"):
        raise ContentError('conference.registration.status: "open" or "closed"')
    window = {"registration_open": status == "open"}
    for name in ("opens_at", "closes_at"):
        value = table.get(name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is not None):
            raise ContentError(
                f"conference.registration.{name}: a local date and time such as 2022-03-01T09:00:00"
            )
        window[f"registration_{name}"] = (
            value.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)
            if value
            else None
        )
    return window


def track_values(item, n):
    where = f"tracks[{n}]"
    capacity = item.get("capacity")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
        raise ContentError(f"{where}.capacity: a whole number of seats, 0 or more, is required")
    return {
        "key": key_field(item, where),
        "capacity": capacity,
        "name": bilingual(item, "name", where),
        "description": bilingual(item, "description", where),
    }


def session_values(conference, items, *, is_sample):
    tracks = {t.key: t for t in conference.tracks}
    result = []
    for n, item in enumerate(items, 1):
        where = f"sessions[{n}]"
        day = item.get("day")
        if not isinstance(day, int) or not 1 <= day <= len(conference.days):
            raise ContentError(f"{where}.day: a day number from 1 to {len(conference.days)}")
        track_key = item.get("track")
        if track_key is not None and track_key not in tracks:
            raise ContentError(f"{where}.track: no track {track_key!r}")
        starts_at, ends_at = item.get("starts_at"), item.get("ends_at")
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if value is not None and not isinstance(value, time):
                raise ContentError(f"{where}.{name}: a local time such as 10:30:00")
        if starts_at and ends_at and ends_at <= starts_at:
            raise ContentError(f"{where}: ends_at must be after starts_at")
        try:
            kind = SessionKind(item.get("kind", "talk"))
        except ValueError:
            kinds = ", ".join(k.value for k in SessionKind)
            raise ContentError(f"{where}.kind: one of {kinds}") from None
        result.append(
            {
                "key": key_field(item, where),
                "kind": kind,
                "track": tracks.get(track_key),
                "day": conference.starts_on + timedelta(days=day - 1),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "title": bilingual(item, "title", where),
                "description": bilingual(item, "description", where, required=False),
            }
        )
    return result


def table_of(data, name):
    value = data.get(name)
    if not isinstance(value, dict):
        raise ContentError(f"[{name}] is missing")
    return value


def tables_of(data, name):
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ContentError(f"{name}: expected a list of [[{name}]] tables")
    return value


def text_field(table, name, where):
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{name}: text is required")
    return value.strip()


def key_field(table, where):
    key = text_field(table, "key", where)
    if not key.replace("-", "").replace("_", "").isalnum() or not key.isascii() or len(key) > 32:
        raise ContentError(f"{where}.key: letters, digits, - and _ only, up to 32")
    return key


def date_field(table, name, where):
    value = table.get(name)
    if not isinstance(value, date):
        raise ContentError(f"{where}.{name}: a date such as 2022-03-18 is required")
    return value


def bilingual(table, name, where, *, required=True):
    value = table.get(name)
    if value is None and not required:
        return {language: "" for language in LANGUAGES}
    if not isinstance(value, dict):
        raise ContentError(f"{where}.{name}: needs an 'en' and an 'ar' text")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
    if missing:
        raise ContentError(f"{where}.{name}: missing the {', '.join(missing)} text")
    return {language: str(value[language]).strip() for language in LANGUAGES}
