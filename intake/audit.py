"""The audit log: every view, decrypt, download, message, status change, grant and revoke.

Entries are appended through `record()` only and chained by SHA-256: each hash covers the entry's
fields and the previous entry's hash. `verify()` (and `manage.py verify_audit`) recomputes the
chain and names the first entry that does not fit, which catches edits, deletions and insertions.

Removing the newest entries, or all of them, leaves a valid shorter chain. So every hour the
worker signs the head (how many entries, the newest one's id and hash) with an Ed25519 key that
is not in the database, appends it to a file the operator ships off the server, and logs it
(`write_checkpoint`). `check_checkpoints` (`verify_audit --checkpoints`) then finds every signed
head that the table no longer holds (docs/security.md, section 6).
"""

import base64
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction

from intake.models import AuditEntry, current_hour

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


# Appending is on every case opening, so its two statements are written out: building them with
# the ORM (the newest entry; bulk_create) cost more than running them (docs/performance.md,
# issue 16). The columns are AuditEntry's (intake/models/audit.py).
_NEWEST_HASH_SQL = "SELECT entry_hash FROM intake_auditentry ORDER BY id DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO intake_auditentry "
    "({id}actor_id, action, case_ref, subject_id, detail, hour, previous_hash, entry_hash) "
    "VALUES {rows} RETURNING id"
)


def append(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """Chain these entries, in order, after the newest one, and write them in one statement."""
    if not entries:
        return []
    hour_field = AuditEntry._meta.get_field("hour")
    # No savepoint: if the entries cannot be written, the action they record must not commit
    # either (and each savepoint is a round trip to the database).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # One appender at a time, until its transaction ends, so two entries never chain to the
        # same predecessor. Locking the newest row is not enough: a writer that waited for that
        # lock still gets the row it waited for, not the entry appended meanwhile. (SQLite, for
        # `make run`, lets one transaction write at a time anyway.) The newest entry is read in a
        # statement of its own, after the lock: a statement sees the rows committed when it
        # starts.
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        cursor.execute(_NEWEST_HASH_SQL)
        newest = cursor.fetchone()
        previous = newest[0] if newest else GENESIS
        # Entries come with the ids the database gives them, or all with their own (as a test
        # forging a rewritten entry does: tests/caseworker/test_audit_checkpoints.py).
        given_ids = entries[0].pk is not None
        if any((new.pk is not None) != given_ids for new in entries):
            raise ValueError("give every entry an id, or none")
        values: list[Any] = []
        for new in entries:
            new.previous_hash = previous
            new.entry_hash = previous = _hash(new)
            values += [new.pk] if given_ids else []
            values += [
                new.actor_id,
                new.action,
                new.case_ref,
                new.subject_id,
                new.detail,
                hour_field.get_db_prep_value(new.hour, connection),
                new.previous_hash,
                new.entry_hash,
            ]
        row = "(" + ", ".join(["%s"] * (9 if given_ids else 8)) + ")"
        cursor.execute(
            _INSERT_SQL.format(
                id="id, " if given_ids else "", rows=", ".join([row] * len(entries))
            ),
            values,
        )
        for new, (pk,) in zip(entries, cursor.fetchall(), strict=True):
            new.pk = pk
            new._state.adding = False
            new._state.db = connection.alias
    return list(entries)


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


# --- The head, and signed checkpoints of it ---------------------------------------------------


@dataclass(frozen=True)
class Head:
    """The newest entry and its position: `count` entries up to and including entry `id`."""

    count: int
    id: int | None
    hash: str


def head() -> Head:
    newest = AuditEntry.objects.order_by("-id").only("entry_hash").first()
    if newest is None:
        return Head(0, None, GENESIS)
    # Counted up to the newest entry read, so that an entry appended in between does not shift
    # the position. Appenders take turns (CHAIN_LOCK), so ids grow in commit order.
    return Head(AuditEntry.objects.filter(id__lte=newest.pk).count(), newest.pk, newest.entry_hash)


# The dedicated logger the checkpoints are also written to (ship the worker's log off the server).
checkpoint_log = logging.getLogger("intake.audit.checkpoints")
logger = logging.getLogger(__name__)
CHECKPOINT_FIELDS = ("count", "hash", "hour", "id", "key", "v")


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def new_checkpoint_key_pair() -> tuple[bytes, bytes]:
    """(private key, public key), PEM."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key


def _signed_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign_checkpoint(private_key: Ed25519PrivateKey, now: Head | None = None) -> str:
    """The head as one JSON line, signed: no case data, and the hour only (a checkpoint an hour
    tells no more about when entries were added than the entries' own hour does)."""
    now = now or head()
    fields = {
        "v": 1,
        "count": now.count,
        "id": now.id,
        "hash": now.hash,
        "hour": current_hour().isoformat(),
        "key": key_id(private_key.public_key()),
    }
    signature = private_key.sign(_signed_bytes(fields))
    return json.dumps({**fields, "sig": base64.b64encode(signature).decode()}, sort_keys=True)


def write_checkpoint() -> str | None:
    """Sign the head with AUDIT_CHECKPOINT_KEY_FILE, append it to AUDIT_CHECKPOINT_FILE and log
    it. Returns the line, or None when no key is configured."""
    if not settings.AUDIT_CHECKPOINT_KEY_FILE:
        logger.warning("audit checkpoints are off: AUDIT_CHECKPOINT_KEY_FILE is not set")
        return None
    line = sign_checkpoint(load_private_key(settings.AUDIT_CHECKPOINT_KEY_FILE))
    if settings.AUDIT_CHECKPOINT_FILE:
        descriptor = os.open(
            settings.AUDIT_CHECKPOINT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640
        )
        with os.fdopen(descriptor, "w", encoding="utf-8") as checkpoints:
            checkpoints.write(line + "\n")
            checkpoints.flush()
            os.fsync(checkpoints.fileno())
    checkpoint_log.info("audit checkpoint %s", line)
    return line


def check_checkpoint(line: str, public_key: Ed25519PublicKey) -> str | None:
    """What is wrong with one checkpoint line (its signature, or the log it signed), or None."""
    try:
        fields = json.loads(line)
        signature = base64.b64decode(fields.pop("sig"), validate=True)
        if sorted(fields) != sorted(CHECKPOINT_FIELDS):
            raise ValueError("unexpected fields")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "not a checkpoint line"
    try:
        public_key.verify(signature, _signed_bytes(fields))
    except InvalidSignature:
        return (
            "its signature does not match: the line was forged or edited, or signed with "
            "another key"
        )
    count, entry_id, entry_hash = fields["count"], fields["id"], fields["hash"]
    when = f"at {fields['hour']}"
    if count == 0:
        return None
    entry = AuditEntry.objects.filter(pk=entry_id).only("entry_hash").first()
    if entry is None:
        return (
            f"{when} the log had {count} entries up to entry {entry_id}, which is gone: the "
            "newest entries were deleted or the table was emptied"
        )
    if entry.entry_hash != entry_hash:
        return f"{when} entry {entry_id} had another hash: it was replaced"
    position = AuditEntry.objects.filter(id__lte=entry_id).count()
    if position != count:
        return (
            f"{when} the log had {count} entries up to entry {entry_id}, now {position}: "
            "entries before it were deleted or inserted"
        )
    return None


def check_checkpoints(lines: Iterable[str], public_key: Ed25519PublicKey) -> tuple[int, list[str]]:
    """(how many checkpoints were checked, what is wrong), line by line."""
    checked, problems = 0, []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        checked += 1
        problem = check_checkpoint(line, public_key)
        if problem:
            problems.append(f"checkpoint line {number}: {problem}")
    return checked, problems
