"""A survivor's choices about documentation for justice (issue 17): whether her account may go to
the ICC Office of the Prosecutor, a UN investigation or commission of inquiry, or a national
war-crimes unit; with or without her name and contact; and whether they may contact her as a
possible witness.

Each choice is off until she makes it. The choices, the version of the wording she saw and her
language are sealed with the case key as item `justice-consent`; the audit log records only that
a choice changed. Turning a choice off stops every package that holds her account and is not yet
recorded as sent (intake/packages/), so nothing prepared under the old choice goes out. What has
been sent cannot be pulled back: she is told so before she chooses, and her page lists it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from intake import audit
from intake.actions.sealed_json import open_json, seal_json
from intake.models import Case, DocumentationPackage, JusticeRecipient, current_hour

# Bumped whenever the wording of the choices changes (intake/templates/intake/justice.html);
# sealed with each choice, so that a caseworker knows which words she agreed to.
JUSTICE_CONSENT_VERSION = "2026-12-06"

KINDS = tuple(JusticeRecipient.Kind.values)


@dataclass(frozen=True)
class JusticeConsent:
    """What she chose. `recipients` holds JusticeRecipient.Kind values."""

    recipients: frozenset[str] = frozenset()
    with_identity: bool = False
    witness_contact: bool = False
    version: str = ""
    language: str = ""

    def allows(self, kind: str) -> bool:
        return kind in self.recipients


NO_CONSENT = JusticeConsent()


def justice_consent(case: Case, case_key: bytes) -> JusticeConsent:
    """Her choices; NO_CONSENT (everything off) if she never made one."""
    if case.justice_consent is None:
        return NO_CONSENT
    record = open_json(case_key, case.case_id, "justice-consent", bytes(case.justice_consent))
    return JusticeConsent(
        recipients=frozenset(k for k in record.get("recipients", []) if k in KINDS),
        with_identity=bool(record.get("with_identity")),
        witness_contact=bool(record.get("witness_contact")),
        version=str(record.get("version", "")),
        language=str(record.get("language", "")),
    )


def set_justice_consent(
    case: Case,
    case_key: bytes,
    *,
    recipients: Iterable[str],
    with_identity: bool,
    witness_contact: bool,
    language: str,
) -> JusticeConsent:
    """Seal her new choices, and stop every unsent package they no longer allow: one for a
    recipient she no longer chose, or one with her name and contact in it if she no longer wants
    them sent. One transaction: the choice is never saved without the stop, nor the reverse."""
    chosen = JusticeConsent(
        recipients=frozenset(k for k in recipients if k in KINDS),
        with_identity=with_identity,
        witness_contact=witness_contact,
        version=JUSTICE_CONSENT_VERSION,
        language=language,
    )
    record = {
        "version": chosen.version,
        "language": chosen.language,
        "recipients": sorted(chosen.recipients),
        "with_identity": chosen.with_identity,
        "witness_contact": chosen.witness_contact,
    }
    with transaction.atomic():
        case.justice_consent = seal_json(case_key, case.case_id, "justice-consent", record)
        case.updated_hour = current_hour()
        case.save(update_fields=["justice_consent", "updated_hour"])
        unsent = DocumentationPackage.objects.filter(
            state=DocumentationPackage.State.PREPARED, cases__case=case
        )
        no_longer_allowed = unsent.exclude(recipient__kind__in=chosen.recipients)
        if not chosen.with_identity:
            no_longer_allowed = no_longer_allowed | unsent.filter(cases__with_identity=True)
        stop_packages(no_longer_allowed.values_list("pk", flat=True))
        # Which way she chose is hers; the log only says that she chose.
        audit.record("case.justice_consent_changed", actor=None, case=case)
    return chosen


def stop_packages(package_pks: Iterable[int]) -> int:
    """Mark packages not yet sent as stopped (the register then says: do not send)."""
    return DocumentationPackage.objects.filter(
        pk__in=list(package_pks), state=DocumentationPackage.State.PREPARED
    ).update(state=DocumentationPackage.State.STOPPED, stopped_on=timezone.localdate())
