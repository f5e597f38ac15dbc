"""The audit log: every view, decrypt, download, message, status change, grant and revoke.

Entries are appended through `record()` only and chained by SHA-256: each hash covers the entry's
fields and the previous entry's hash. `verify()` (and `manage.py verify_audit`) recomputes the
chain and names the first entry that does not fit, which catches edits, deletions and insertions.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from intake.models import AuditEntry

GENESIS = "0" * 64
# The PostgreSQL advisory lock that makes appenders take turns (an arbitrary number, used for
# nothing else).
CHAIN_LOCK = 0x617564697400  # "audit"


def _hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry.content_for_hash().encode()).hexdigest()


def entry(
    action: str,
    *,
    actor: Any | None,
    case: Any | None = None,
    subject: Any | None = None,
    detail: str = "",
) -> AuditEntry:
    """An entry not yet written: pass it to `append()`. `detail` is for reasons chosen from
    fixed lists, never case content."""
    return AuditEntry(
        actor=actor,
        action=action,
        case_ref=str(case.public_id) if case is not None else "",
        subject=subject,
        detail=detail[:200],
    )


def append(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """Chain these entries, in order, after the newest one, and write them in one statement."""
    # No savepoint: if the entries cannot be written, the action they record must not commit
    # either (and each savepoint is a round trip to the database).
    with transaction.atomic(savepoint=False):
        # One appender at a time, until its transaction ends, so two entries never chain to the
        # same predecessor. Locking the newest row is not enough: a writer that waited for that
        # lock still gets the row it waited for, not the entry appended meanwhile. (SQLite, for
        # `make run`, lets one transaction write at a time anyway.)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        last = AuditEntry.objects.order_by("-id").only("entry_hash").first()
        previous = last.entry_hash if last else GENESIS
        for new in entries:
            new.previous_hash = previous
            new.entry_hash = previous = _hash(new)
        return AuditEntry.objects.bulk_create(entries)


def record(
    action: str,
    *,
    actor: Any | None,
    case: Any | None = None,
    subject: Any | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append one entry. `detail` is for reasons chosen from fixed lists, never case content."""
    (written,) = append([entry(action, actor=actor, case=case, subject=subject, detail=detail)])
    return written


def verify() -> AuditEntry | None:
    """The first entry whose hash or link is wrong, or None if the whole chain holds."""
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.previous_hash != previous or entry.entry_hash != _hash(entry):
            return entry
        previous = entry.entry_hash
    return None
