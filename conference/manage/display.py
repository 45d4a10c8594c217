"""Small display helpers shared by the back-office pages (template filters)."""

from markupsafe import Markup

from conference.manage.staff_views import bp


@bp.app_template_filter("utc_time")
def utc_time(value):
    """A stored UTC time as ``<time>``: "2025-03-01 14:05 UTC", the same in both languages."""
    if value is None:
        return ""
    # Markup.format escapes its arguments.
    return Markup('<time datetime="{}Z" dir="ltr">{} UTC</time>').format(
        value.isoformat(timespec="seconds"), value.strftime("%Y-%m-%d %H:%M")
    )
