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

from intake.models import RoutingJob, StaffProfile

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
        RoutingJob.NO_ELIGIBLE_CASEWORKER: _(
            "No caseworker fits yet (language, gender asked for, "
            "specialisms), or all who fit are full."
        ),
        RoutingJob.ESCALATED: _("Given back by the caseworker."),
        RoutingJob.GRANTED: _("Given to a caseworker by a coordinator."),
        RoutingJob.DEADLINE_MISSED: _(
            "Its caseworker did not acknowledge it in time, and routing can no longer open it."
        ),
        RoutingJob.CASEWORKER_SUSPENDED: _("Its caseworker was suspended."),
        RoutingJob.VETTING_EXPIRED: _("Its caseworker's vetting expired."),
        RoutingJob.PASSWORD_RESET: _(
            "Its caseworker's password was reset: grant it to them again from their page once "
            "they have chosen a new one."
        ),
    }
    if reason in whole:
        return whole[reason]
    return "; ".join(_part(part) for part in reason.split("; ")) if reason else ""
