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
from datetime import date

from django.db import transaction
from django.utils import timezone

from intake import audit
from intake.actions.sealed_json import open_json, seal_json
from intake.models import (
    Case,
    DocumentationPackage,
    JusticeRecipient,
    PackagedCase,
    current_hour,
)

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
            # Her own line must hold her identity: one filter() call, so that both conditions
            # are about the same PackagedCase row (a second call would join another row, and
            # stop a package because someone else's name is in it).
            with_hers = DocumentationPackage.objects.filter(
                state=DocumentationPackage.State.PREPARED,
                cases__case=case,
                cases__with_identity=True,
            )
            no_longer_allowed = no_longer_allowed | with_hers
        stop_packages(no_longer_allowed.values_list("pk", flat=True))
        # Which way she chose is hers; the log only says that she chose.
        audit.record("case.justice_consent_changed", actor=None, case=case)
    return chosen


def stop_packages(package_pks: Iterable[int]) -> int:
    """Mark packages not yet sent as stopped (the register then says: do not send)."""
    return DocumentationPackage.objects.filter(
        pk__in=list(package_pks), state=DocumentationPackage.State.PREPARED
    ).update(state=DocumentationPackage.State.STOPPED, stopped_on=timezone.localdate())


@dataclass(frozen=True)
class PackageLine:
    """One package that holds her account, as her page shows it: to whom, and on which day
    (sent, prepared or stopped, by the list it is in). Nothing about the other accounts in it."""

    recipient: str
    kind: str
    kind_label: str
    day: date | None
    with_identity: bool


@dataclass(frozen=True)
class JusticePackages:
    """Her lines of the package register (intake/models/accountability.py), by state."""

    sent: list[PackageLine]
    prepared: list[PackageLine]
    stopped: list[PackageLine]


def justice_packages(case: Case) -> JusticePackages:
    """What was sent with her account, what is prepared and not yet sent (her choice can still
    stop it), and what was stopped. Only this case's lines: the case comes from the access door
    (intake/access.py), so a survivor reads her own and no one else's."""
    lines = (
        PackagedCase.objects.filter(case=case)
        .select_related("package__recipient")
        .order_by("package__prepared_on", "package__pk")
    )
    by_state: dict[str, list[PackageLine]] = {state: [] for state in DocumentationPackage.State}
    for line in lines:
        package = line.package
        day: date | None = package.prepared_on
        if package.state == DocumentationPackage.State.SENT:
            day = package.sent_on
        elif package.state == DocumentationPackage.State.STOPPED:
            day = package.stopped_on
        by_state[package.state].append(
            PackageLine(
                recipient=package.recipient.name,
                kind=package.recipient.kind,
                kind_label=str(package.recipient.get_kind_display()),
                day=day,
                with_identity=line.with_identity,
            )
        )
    return JusticePackages(
        sent=by_state[DocumentationPackage.State.SENT],
        prepared=by_state[DocumentationPackage.State.PREPARED],
        stopped=by_state[DocumentationPackage.State.STOPPED],
    )
