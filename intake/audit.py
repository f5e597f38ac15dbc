"""The audit log: every view, decrypt, download, message, status change, grant and revoke.

Entries are appended through `record()` only and chained by SHA-256: each hash covers the entry's
fields and the previous entry's hash. `verify()` (and `manage.py verify_audit`) recomputes the
chain and names the first entry that does not fit, which catches edits, deletions and insertions.
"""

import hashlib
from typing import Any

from django.db import transaction

from intake.models import AuditEntry

GENESIS = "0" * 64


def _hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry.content_for_hash().encode()).hexdigest()


def record(
    action: str,
    *,
    actor: Any | None,
    case: Any | None = None,
    subject: Any | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append one entry. `detail` is for reasons chosen from fixed lists, never case content."""
    with transaction.atomic():
        # Lock the newest entry, so two writers cannot both chain to it.
        last = AuditEntry.objects.select_for_update().order_by("-id").first()
        entry = AuditEntry(
            actor=actor,
            action=action,
            case_ref=str(case.public_id) if case is not None else "",
            subject=subject,
            detail=detail[:200],
            previous_hash=last.entry_hash if last else GENESIS,
        )
        entry.entry_hash = _hash(entry)
        entry.save()
    return entry


def verify() -> AuditEntry | None:
    """The first entry whose hash or link is wrong, or None if the whole chain holds."""
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.previous_hash != previous or entry.entry_hash != _hash(entry):
            return entry
        previous = entry.entry_hash
    return None
