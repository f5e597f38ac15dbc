"""{% who_can_read %}: the list of everyone who can read an account, from portal/readers.py."""

from django import template

from portal.readers import NOTES, READERS

register = template.Library()


@register.inclusion_tag("intake/who_can_read.html")
def who_can_read() -> dict[str, object]:
    return {"readers": READERS, "notes": list(NOTES)}
