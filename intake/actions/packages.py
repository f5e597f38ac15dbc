"""Preparing a documentation package (issue 17): only for accounts whose survivor chose the
recipient's kind of office, with her name and contact only if she chose that too.

The view opens each case through the access door (audited "case.opened_to_package") inside one
transaction with prepare_package, which writes the register (DocumentationPackage, PackagedCase)
and the audit entries ("case.packaged" for each account, then "package.prepared"), then builds,
signs and encrypts the package (intake/packages/): the register never says a package exists that
the log does not, nor the reverse. The package exists only in memory and in the response: the
portal keeps its hashes, never its content, and sends nothing itself.

The audit chain is locked from a transaction's first entry to its commit (intake/audit.py): from
the opening entries on, the whole request (reading and checking the files, signing, encrypting)
holds it, and other audited actions wait for it. Packages are rare and made one at a time; a very
large one (many files) would be felt as a pause elsewhere.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from intake import audit, crypto
from intake.actions.justice import JusticeConsent, justice_consent
from intake.actions.read_models import open_attachment
from intake.actions.sealed_json import open_json
from intake.models import (
    Attachment,
    AuditEntry,
    Case,
    DocumentationPackage,
    JusticeRecipient,
    PackagedCase,
    StaffProfile,
)
from intake.packages import contents, signing
from intake.packages.encryption import encrypt_to
from intake.packages.manifest import signed_zip


class PackageRefused(Exception):
    """Nothing was prepared (and nothing written): the reason is the subclass."""


class NotChosen(PackageRefused):
    """The survivor did not choose this kind of recipient (views answer 404)."""


class RecipientRetired(PackageRefused):
    """The recipient was retired: nothing more is prepared for it."""


class ConsentChanged(PackageRefused):
    """Her choices changed (or her account was withdrawn) while the package was being made."""


class FileAltered(PackageRefused):
    """A file does not match the SHA-256 sealed with it when it was received, or is missing."""


@dataclass(frozen=True)
class PreparedPackage:
    package: DocumentationPackage
    filename: str
    data: bytes  # the age-encrypted zip


def chosen_consent(case: Case, case_key: bytes, recipient: JusticeRecipient) -> JusticeConsent:
    """Her choices, if they let her account go to this kind of recipient; NotChosen otherwise.
    The gate of every package: prepare_package calls it for every account."""
    consent = justice_consent(case, case_key)
    if not consent.allows(recipient.kind):
        raise NotChosen
    return consent


def _text(case: Case, case_key: bytes, item: str, sealed: bytes | memoryview) -> str:
    return crypto.open_sealed(
        case_key, case_id=case.case_id, item=item, sealed=bytes(sealed)
    ).decode()


def _checked_file(case: Case, case_key: bytes, attachment: Attachment) -> contents.PackagedFile:
    """The file decrypted, refused unless its SHA-256 is the one sealed when it was received."""
    try:
        metadata, chunks = open_attachment(case, case_key, str(attachment.public_id))
        data = b"".join(chunks)
    except (OSError, crypto.DecryptionError):
        raise FileAltered(str(attachment.public_id)) from None
    if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
        raise FileAltered(str(attachment.public_id))
    return contents.PackagedFile(
        name=str(metadata.get("name", "")),
        content_type=str(metadata.get("content_type", "")),
        sha256=str(metadata["sha256"]),
        data=data,
        file_id=str(attachment.public_id),
        added_later=attachment.addition_id is not None,
    )


def _account(case: Case, case_key: bytes, consent: JusticeConsent) -> contents.Account:
    """Her account as she agreed to share it: never messages, notes or referrals; her contact
    only if she chose "with my name and contact"."""
    answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
    contact = None
    if consent.with_identity and case.contact:
        contact = open_json(case_key, case.case_id, "contact", bytes(case.contact))
    return contents.Account(
        case_ref=str(case.public_id),
        received_hour=case.created_hour,
        answers=answers,
        additions=[
            {"hour": a.created_hour, "text": _text(case, case_key, a.item, a.sealed_text)}
            for a in case.additions.all()
        ],
        files=[_checked_file(case, case_key, a) for a in case.attachments.all()],
        with_identity=contact is not None,
        contact=contact,
        witness_contact=consent.witness_contact,
        consent_version=consent.version,
        consent_language=consent.language,
    )


def _entry_record(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "hour": entry.hour.isoformat(),
        "action": entry.action,
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
    }


def hold_cases(public_ids: Sequence[Any]) -> dict[int, Case]:
    """Lock these cases' rows until the transaction ends (FOR NO KEY UPDATE: new messages and
    files may still refer to them). The packaging view calls this first in its transaction,
    before the access door appends its audit entries, so that locks are always taken case row
    first, audit chain second, as set_justice_consent takes them."""
    locked = Case.objects.select_for_update(no_key=True).filter(public_id__in=list(public_ids))
    return {case.pk: case for case in locked.only("pk", "justice_consent")}


def _sealed(value: bytes | memoryview | None) -> bytes:
    return bytes(value) if value is not None else b""


def prepare_package(
    profile: StaffProfile, recipient: JusticeRecipient, opened: Sequence[tuple[Case, bytes]]
) -> PreparedPackage:
    """One package for `recipient` holding these accounts (cases opened through the access
    door). Raises NotChosen if any survivor did not choose this kind of recipient, FileAltered
    if a file does not match its sealed hash, RecipientRetired, or signing.SigningKeyMissing."""
    if not opened:
        raise ValueError("a package holds at least one account")
    if not recipient.active:
        raise RecipientRetired
    key = signing.load_signing_key()
    # The consent gate, for every account, before anything of it is read.
    consents = [chosen_consent(case, case_key, recipient) for case, case_key in opened]
    accounts = [
        _account(case, case_key, consent)
        for (case, case_key), consent in zip(opened, consents, strict=True)
    ]
    user = profile.user
    today = timezone.localdate()
    with transaction.atomic():
        # Her choices as they are now, locked until this commits: set_justice_consent saves the
        # case row first, so a choice she changes meanwhile either came before (and is seen
        # here) or waits, and then stops this package (intake/actions/justice.py).
        now = hold_cases([case.public_id for case, _ in opened])
        for case, _key in opened:
            held = now.get(case.pk)
            if held is None or _sealed(held.justice_consent) != _sealed(case.justice_consent):
                raise ConsentChanged
        package = DocumentationPackage.objects.create(
            recipient=recipient,
            prepared_by=user,
            prepared_on=today,
            case_count=len(accounts),
            manifest_sha256="",
            file_sha256="",
        )
        PackagedCase.objects.bulk_create(
            PackagedCase(package=package, case=case, with_identity=account.with_identity)
            for (case, _key), account in zip(opened, accounts, strict=True)
        )
        detail = f"package {package.public_id}"
        written = audit.append(
            [audit.entry("case.packaged", actor=user, case=c, detail=detail) for c, _ in opened]
            + [audit.entry("package.prepared", actor=user, detail=detail)]
        )
        # Each account's whole trail in the log, up to and including this package's entries.
        trail: dict[str, list[dict[str, Any]]] = {a.case_ref: [] for a in accounts}
        for entry in AuditEntry.objects.filter(case_ref__in=list(trail)).order_by("id"):
            trail[entry.case_ref].append(_entry_record(entry))
        accounts = [replace(a, audit_entries=trail[a.case_ref]) for a in accounts]
        meta = contents.Meta(
            package_id=str(package.public_id),
            organisation=settings.ORGANISATION_NAME,
            prepared_on=today,
            prepared_by=user.email,
            recipient_kind=recipient.kind,
            recipient_name=recipient.name,
            package_audit_entry=_entry_record(written[-1]),
        )
        zipped, manifest = signed_zip(
            contents.package_files(accounts, meta),
            package_id=meta.package_id,
            organisation=meta.organisation,
            prepared_on=today,
            key=key,
        )
        encrypted = encrypt_to(recipient.age_recipient, zipped)
        package.manifest_sha256 = hashlib.sha256(manifest).hexdigest()
        package.file_sha256 = hashlib.sha256(encrypted).hexdigest()
        package.save(update_fields=["manifest_sha256", "file_sha256"])
    return PreparedPackage(package, f"documentation-{package.public_id}.age", encrypted)
