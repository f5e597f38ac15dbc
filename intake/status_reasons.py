"""Why a caseworker changes a case's status: the one list of reasons.

A reason belongs to exactly one status, so the caseworker chooses one item from one list and
status and reason can never disagree. intake.actions.casework.change_status checks against it,
intake.caseworker.forms.StatusForm offers it grouped by status, and
intake.templatetags.audit_words words the audit entries it leaves. The codes are fixed, so the
audit log never holds free text about a case; they stay the ones already in it ("closed:
closed_done").
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake.models import Case


@dataclass(frozen=True)
class StatusReason:
    code: str
    status: str
    label: str | Promise


STATUS_REASONS = (
    StatusReason("in_progress", Case.Status.IN_PROGRESS, _("Working on the survivor's requests")),
    StatusReason("referred", Case.Status.REFERRED, _("Referred with the survivor's consent")),
    StatusReason("closed_done", Case.Status.CLOSED, _("The survivor's requests are met")),
    StatusReason("closed_no_contact", Case.Status.CLOSED, _("No safe way to continue")),
    StatusReason("closed_survivor_asked", Case.Status.CLOSED, _("The survivor asked to close")),
)

# The status each reason belongs to.
STATUS_OF_REASON: dict[str, str] = {reason.code: reason.status for reason in STATUS_REASONS}


def grouped_choices() -> list[tuple[str | Promise, list[tuple[str, str | Promise]]]]:
    """(status label, [(reason code, reason label)...]) in the order of the list, for a form's
    grouped choices."""
    groups: dict[str, list[tuple[str, str | Promise]]] = {}
    for reason in STATUS_REASONS:
        groups.setdefault(reason.status, []).append((reason.code, reason.label))
    return [(Case.Status(status).label, pairs) for status, pairs in groups.items()]


def status_detail_words(detail: str) -> str | None:
    """The words of an audit entry's "status: reason" detail, or None when it is not one."""
    status, _sep, code = detail.partition(": ")
    labels = {reason.code: reason.label for reason in STATUS_REASONS}
    if status not in Case.Status.values or code not in labels:
        return None
    return f"{Case.Status(status).label}: {labels[code]}"
