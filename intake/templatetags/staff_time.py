"""Times on staff pages: unambiguous dates, and how long ago or how soon, in the reader's language.

"12/06/2026" is the 12th of June to some readers and the 6th of December to others, so staff pages
show dates as ISO 8601 ("2026-06-12 14:00 UTC"), the same in every language. Survivor times are
kept to the hour (docs/security.md, section 3), so the relative words never claim more: "this hour",
"5 hours ago", "3 days ago", never minutes.
"""

import math
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

HOUR = 3600


@register.filter
def iso_hour(value: datetime | None) -> str:
    """2026-06-12 14:00 UTC: the same in every language, never day/month against month/day."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def ago(value: datetime, now: datetime | None = None) -> str:
    """How long ago an hour-rounded time was, in whole hours or days."""
    hours = max(0, int(((now or timezone.now()) - value).total_seconds() // HOUR))
    if hours < 1:
        return _("this hour")
    if hours < 48:
        return ngettext("%(count)s hour ago", "%(count)s hours ago", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)s day ago", "%(count)s days ago", days) % {"count": days}


def due(value: datetime, now: datetime | None = None) -> str:
    """How long until a deadline, or how long past it."""
    seconds = (value - (now or timezone.now())).total_seconds()
    if seconds <= 0:
        hours = max(1, math.ceil(-seconds / HOUR))
        if hours < 48:
            return ngettext("%(count)s hour overdue", "%(count)s hours overdue", hours) % {
                "count": hours
            }
        days = hours // 24
        return ngettext("%(count)s day overdue", "%(count)s days overdue", days) % {"count": days}
    hours = int(seconds // HOUR)
    if hours < 1:
        return _("within the hour")
    if hours < 48:
        return ngettext("in %(count)s hour", "in %(count)s hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("in %(count)s day", "in %(count)s days", days) % {"count": days}


@register.simple_tag
def time_ago(value: datetime | None) -> SafeString:
    """<time> with "5 hours ago" to read, and the exact hour (ISO) beside it."""
    if value is None:
        return format_html("")
    return format_html(
        '<time datetime="{}">{}</time> <span class="iso-time">({})</span>',
        value.isoformat(),
        ago(value),
        iso_hour(value),
    )


@register.simple_tag
def time_due(value: datetime | None) -> SafeString:
    """<time> with "in 5 hours" or "2 hours overdue", and the exact hour (ISO) beside it."""
    if value is None:
        return format_html("")
    overdue = value <= timezone.now()
    return format_html(
        '<time datetime="{}"{}>{}</time> <span class="iso-time">({})</span>',
        value.isoformat(),
        format_html(' class="{}"', "overdue") if overdue else "",
        due(value),
        iso_hour(value),
    )
