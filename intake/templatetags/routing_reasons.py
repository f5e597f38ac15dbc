"""Routing reasons in the reader's language.

Routing stores its reason in fixed English words about the match only (intake.routing.choose,
and the waiting reasons), so the row stays readable in the database and the audit of a decision
never depends on the language of whoever looked. This filter turns those words into the staff
member's language when a page shows them; anything it does not recognise is shown as stored.
"""

import re
from collections.abc import Sequence

from django import template
from django.utils.translation import gettext as _

from intake.models import StaffProfile

register = template.Library()

_MATCH_PART = re.compile(r"(\d+) needs matched, load (\d+)/(\d+)")


def _label(code: str, choices: Sequence[tuple[str, object]]) -> str:
    return str(dict(choices).get(code, code))


def _part(part: str) -> str:
    if part.startswith("language "):
        code = part.removeprefix("language ")
        # "any": the survivor named no language (the words of the intake form's own choice).
        return _("language: %(code)s") % {"code": _("No preference") if code == "any" else code}
    if part.startswith("caseworker gender "):
        gender = _label(part.removeprefix("caseworker gender "), StaffProfile.GENDERS)
        return _("caseworker gender asked for: %(gender)s") % {"gender": gender}
    if part.startswith("specialisms "):
        codes = part.removeprefix("specialisms ").split(", ")
        names = ", ".join(_label(code, StaffProfile.SPECIALISMS) for code in codes)
        return _("specialisms needed: %(names)s") % {"names": names}
    if part == "same region":
        return _("same region")
    match = _MATCH_PART.fullmatch(part)
    if match:
        needs, load, capacity = match.groups()
        return _("%(needs)s wishes matched, load %(load)s/%(capacity)s") % {
            "needs": needs,
            "load": load,
            "capacity": capacity,
        }
    return part


@register.filter
def routing_reason(reason: str) -> str:
    whole = {
        "no eligible caseworker": _(
            "No caseworker fits yet (language, gender asked for, "
            "specialisms), or all who fit are full."
        ),
        "escalated by the caseworker": _("Given back by the caseworker."),
        "granted by a coordinator": _("Given to a caseworker by a coordinator."),
    }
    if reason in whole:
        return whole[reason]
    return "; ".join(_part(part) for part in reason.split("; ")) if reason else ""
