"""The audit log: every view, decrypt, download, message, status change, grant and revoke.

Entries are appended through `record()` only and chained by SHA-256: each hash covers the entry's
fields and the previous entry's hash. `verify()` (and `manage.py verify_audit`) recomputes the
chain and names the first entry that does not fit, which catches edits, deletions and insertions.
"""

import hashlib
from typing import Any

from django.db import connection, transaction

from intake.models import AuditEntry

GENESIS = "0" * 64
# The PostgreSQL advisory lock that makes appenders take turns (an arbitrary number, used for
# nothing else).
CHAIN_LOCK = 0x617564697400  # "audit"


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
    # No savepoint: if the entry cannot be written, the action it records must not commit either
    # (and each savepoint is a round trip to the database).
    with transaction.atomic(savepoint=False):
        # One appender at a time, until its transaction ends, so two entries never chain to the
        # same predecessor. Locking the newest row is not enough: a writer that waited for that
        # lock still gets the row it waited for, not the entry appended meanwhile. (SQLite, for
        # `make run`, lets one transaction write at a time anyway.)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        last = AuditEntry.objects.order_by("-id").first()
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
