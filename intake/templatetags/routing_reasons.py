"""Routing reasons in the reader's language.

Routing stores its reason as a code (RoutingJob.Reason) and, for a routed case, the facts of the
match as parameters (intake.routing.matching.choose): the row never depends on the language of
whoever looked, and nothing is parsed back out of prose. This filter words them in the staff
member's language when a page shows them; a code it does not know is shown as stored.
"""

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.translation import gettext as _

from intake.models import RoutingJob, StaffProfile

register = template.Library()


def _label(code: str, choices: Sequence[tuple[str, object]]) -> str:
    return str(dict(choices).get(code, code))


def _routed(params: dict[str, Any]) -> str:
    language = params.get("language") or "any"
    # "any": the survivor named no language (the words of the intake form's own choice).
    parts = [
        _("language: %(code)s") % {"code": _("No preference") if language == "any" else language}
    ]
    if params.get("gender"):
        gender = _label(params["gender"], StaffProfile.GENDERS)
        parts.append(_("caseworker gender asked for: %(gender)s") % {"gender": gender})
    if params.get("specialisms"):
        names = ", ".join(_label(code, StaffProfile.SPECIALISMS) for code in params["specialisms"])
        parts.append(_("specialisms needed: %(names)s") % {"names": names})
    if params.get("same_region"):
        parts.append(_("same region"))
    if "load" in params:
        parts.append(
            _("%(needs)s wishes matched, load %(load)s/%(capacity)s")
            % {
                "needs": params.get("needs_matched", 0),
                "load": params["load"],
                "capacity": params.get("capacity", ""),
            }
        )
    return "; ".join(parts)


def reason_words(code: str, params: dict[str, Any] | None = None) -> str:
    """The words of a reason code and its parameters."""
    if code == RoutingJob.Reason.ROUTED:
        return _routed(params or {})
    if code in RoutingJob.Reason.values:
        return str(RoutingJob.Reason(code).label)
    return code


@register.filter
def routing_reason(job: RoutingJob) -> str:
    """{{ job|routing_reason }}: why this job's case went where it is."""
    return reason_words(job.reason, job.reason_params)
