"""The audit log in plain words, in the coordinator's language.

Entries store fixed codes ("case.opened_to_change_status", detail "closed: closed_done"), so the
hash chain never depends on anyone's language and no entry holds free text about a case
(intake/audit.py). These filters turn the codes into words when
intake/templates/caseworker/audit.html shows them; a code they do not know is shown as stored,
so a new action is never hidden.
"""

import re

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from intake.models import AuditEntry, StaffProfile
from intake.status_reasons import status_detail_words

register = template.Library()

ACTIONS = {
    "audit.viewed": gettext_lazy("Read the audit log"),
    "case.access_revoked": gettext_lazy("Lost access to the case (handed over)"),
    "case.acknowledged": gettext_lazy("Took the case (acknowledged it)"),
    "case.consent_changed": gettext_lazy("Changed their agreement to a referral"),
    "case.deadline_missed": gettext_lazy("Deadline missed: the case was taken from this person"),
    "case.escalated": gettext_lazy("Gave the case back to the coordinators"),
    "case.exported": gettext_lazy("Downloaded the whole case as a file"),
    "case.file_downloaded": gettext_lazy("Downloaded a file of the case"),
    "case.granted": gettext_lazy("Gave the case to a caseworker"),
    "case.justice_consent_changed": gettext_lazy(
        "Changed their choices about documentation for justice"
    ),
    "case.opened_to_package": gettext_lazy("Opened the case to prepare documentation for justice"),
    "case.packaged": gettext_lazy("Put the account in a documentation package"),
    "case.handed_over": gettext_lazy("Handed the case over to a colleague"),
    "case.message_sent": gettext_lazy("Sent a message to the survivor"),
    "case.note_added": gettext_lazy("Added a private note"),
    "case.opened_to_acknowledge": gettext_lazy("Opened the case to acknowledge it"),
    "case.opened_to_add_note": gettext_lazy("Opened the case to add a note"),
    "case.opened_to_change_status": gettext_lazy("Opened the case to change its status"),
    "case.opened_to_escalate": gettext_lazy("Opened the case to give it back"),
    "case.opened_to_export": gettext_lazy("Opened the case to download it"),
    "case.opened_to_hand_over": gettext_lazy("Opened the case to hand it over"),
    "case.opened_to_refer": gettext_lazy("Opened the case to record a referral"),
    "case.opened_to_reply": gettext_lazy("Opened the case to reply"),
    "case.purged": gettext_lazy("Deleted the closed case"),
    "case.referral_recorded": gettext_lazy("Recorded a referral"),
    "case.referral_updated": gettext_lazy("Changed what became of a referral"),
    "case.regranted": gettext_lazy("Gave the case back after a password reset"),
    "case.routed": gettext_lazy("Gave the case to a caseworker (routing)"),
    "case.status": gettext_lazy("Changed the status"),
    "case.viewed": gettext_lazy("Read the case"),
    "case.viewed_by_coordinator": gettext_lazy("Read the case, as a coordinator"),
    "case.withdrawn": gettext_lazy("Withdrew the account (deleted)"),
    "package.prepared": gettext_lazy("Prepared a documentation package"),
    "package.sent": gettext_lazy("Recorded a documentation package as sent"),
    "package.recipient_registered": gettext_lazy("Registered where documentation may be sent"),
    "package.recipient_retired": gettext_lazy("Retired a recipient of documentation"),
    "patterns.viewed": gettext_lazy("Read the pattern counts"),
    "patterns.exported": gettext_lazy("Downloaded the pattern counts"),
    "staff.access_revoked": gettext_lazy("Lost access to their cases"),
    "staff.availability_changed": gettext_lazy("Changed whether they take new cases"),
    "staff.coordinators_key_shared": gettext_lazy("Passed on the coordinators' key"),
    "staff.invited": gettext_lazy("Sent an invitation"),
    "staff.password_reset": gettext_lazy("Reset a password"),
    "staff.profile_changed": gettext_lazy("Changed languages, specialisms or capacity"),
    "staff.suspended": gettext_lazy("Suspended this person"),
    "staff.vetted": gettext_lazy("Vetted this person"),
    "staff.vetting_expired": gettext_lazy("Vetting expired"),
}

# Who did it when no staff member did (the entry's actor is empty).
SURVIVOR_ACTIONS = {"case.consent_changed", "case.justice_consent_changed", "case.withdrawn"}
# intake.actions.staff.vet_staff, invite_staff and the management commands take `by=None` for an
# operator working at the server.
OPERATOR_ACTIONS = {"staff.invited", "staff.vetted", "staff.coordinators_key_shared"}

_COUNT = re.compile(r"(\d+) (cases|months)")


@register.filter
def audit_action(entry: AuditEntry) -> str:
    return str(ACTIONS.get(entry.action, entry.action))


@register.filter
def audit_actor(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return str(entry.actor.email)
    if entry.action in SURVIVOR_ACTIONS:
        return _("The survivor")
    if entry.action in OPERATOR_ACTIONS:
        return _("An operator, at the server")
    return _("The portal, by itself")


@register.filter
def audit_detail(entry: AuditEntry) -> str:
    detail = entry.detail
    if not detail:
        return ""
    if entry.action == "case.status":
        return status_detail_words(detail) or detail
    if entry.action == "staff.availability_changed":
        return {"available": _("Takes new cases"), "unavailable": _("Takes no new cases")}.get(
            detail, detail
        )
    if entry.action == "staff.invited":
        return str(dict(StaffProfile.Role.choices).get(detail, detail))
    if detail == "password reset":
        return _("after a password reset")
    if detail == "retention period over":
        return _("the time it is kept after closing has passed")
    counted = _COUNT.fullmatch(detail)
    if counted:
        count = int(counted.group(1))
        if counted.group(2) == "cases":
            return ngettext("%(count)s case", "%(count)s cases", count) % {"count": count}
        return ngettext("for %(count)s month", "for %(count)s months", count) % {"count": count}
    # A suspension's reason, typed by the coordinator: shown as written.
    return detail
