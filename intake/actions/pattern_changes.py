"""Pending changes to the pattern counts (issue 17), applied only in mixes of many accounts.

Why not count at once: PostgreSQL keeps row versions (xmin/xmax, dead tuples, the WAL) that tie
each change of a row to the transaction that made it. If the routing batch added to the counts
itself, a batch of one account (the usual case when accounts arrive one at a time) would leave,
for whoever seizes the database, that account's month, places, age group and kinds of harm next
to its routing, although the case holds them only sealed; and a withdrawal's subtraction would
sit in one transaction with the audit line "case.withdrawn" that names the case.

So routing and withdrawal only add a `PatternChange` each: the cells and +1 or -1, sealed with
HPKE to the routing key (the web process, which withdraws, holds only public keys, and that is
enough to seal), padded to one length, without case, key to anything or time. Every account
routed for the first time adds one, an empty one when she did not agree to be counted, and every
withdrawal one, empty when nothing of hers was counted: the rows say neither who agreed nor what.

The worker's beat task `intake.tasks.apply_pattern_changes` (every 15 minutes) applies them in a
transaction of its own, and only when at least PATTERN_FLUSH_MIN have gathered: a change of the
counts is then tied to a mix of at least that many accounts, never to one. What is left
(docs/accountability.md): the pending rows are ciphertext to the routing key, so whoever also
seizes the worker's routing key file opens the changes not yet applied.
"""

import json
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from intake import crypto
from intake.actions.patterns import (
    Cell,
    add_counts,
    cells_of,
    cells_of_record,
    padded,
    record_of,
    seal_record,
    subtract_counts,
)
from intake.actions.sealed_json import open_json
from intake.models import Case, PatternChange, PatternCount, RecipientKey

logger = logging.getLogger(__name__)

# The purpose bound into every change's HPKE info: a change can pass for no other sealed item.
PATTERN_CHANGE = "pattern-change"
ROUTING = RecipientKey.Purpose.ROUTING


def routing_key() -> RecipientKey:
    """The newest active routing key: the one the worker holds (docs/operations.md, "Key
    rotation")."""
    key = RecipientKey.objects.filter(purpose=ROUTING, active=True).first()
    if key is None:
        raise ImproperlyConfigured("no active routing key: run `manage.py init_keys` once")
    return key


def seal_change(key: RecipientKey, cells: list[Cell], delta: int) -> PatternChange:
    """A change sealed to the routing key: the record of `cells` (as in Case.pattern_record) and
    the delta, or {} when there are no cells, padded (patterns.RECORD_BYTES) so that all are of
    one length."""
    record = record_of(cells)
    if record:
        record["delta"] = delta
    sealed = crypto.seal_to_recipient(
        padded(record),
        bytes(key.public_key),
        purpose=PATTERN_CHANGE,
        case_id="",  # a change names no case
        recipient=ROUTING,
        key_id=key.key_id,
    )
    return PatternChange(key_id=key.key_id, sealed=sealed)


def open_change(private: Any, change: PatternChange) -> Counter[Cell]:
    """What a change does to each cell, or DecryptionError / ValueError if it does not open."""
    plaintext = crypto.open_sealed_to_recipient(
        bytes(change.sealed),
        private,
        purpose=PATTERN_CHANGE,
        case_id="",
        recipient=ROUTING,
        key_id=change.key_id,
    )
    record: dict[str, Any] = json.loads(plaintext)
    if not record:
        return Counter()
    delta = record.pop("delta")
    if delta not in (1, -1):
        raise ValueError("a pattern change is +1 or -1")
    return Counter(dict.fromkeys(cells_of_record(record), delta))


def record_changes(changes: list[list[Cell]], delta: int) -> None:
    """One INSERT of a sealed change per account (`changes` holds each account's cells)."""
    if not changes:
        return
    key = routing_key()
    PatternChange.objects.bulk_create([seal_change(key, cells, delta) for cells in changes])


def count_cases(opened: Iterable[tuple[Case, bytes]]) -> list[tuple[int, bytes]]:
    """Add a pending change (+1) for every case not counted before, in one INSERT, and return
    (case pk, sealed record) for each of them: the caller writes those in the same transaction
    (intake/routing/placement.py writes them with its other batch updates). The counts
    themselves are not touched: apply_pending() does that, later, for many accounts at once.

    Called inside the routing batch's transaction while it holds the cases' routing jobs
    (SELECT ... FOR UPDATE), so no other run can count the same case at the same time; a case
    loaded with a record (routed before, waiting again; a redelivered message) is skipped, so an
    account is counted once at most. A case whose answers do not open is left uncounted (null)
    and logged: routing goes on.
    """
    changes: list[list[Cell]] = []
    records = []
    for case, case_key in opened:
        if case.pattern_record is not None:
            continue
        try:
            answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
            cells = cells_of(answers)
        except (crypto.DecryptionError, ValueError, TypeError, AttributeError):
            logger.exception("case %s: its answers could not be opened for counting", case.pk)
            continue
        # Empty when she did not agree: every counted account adds one row all the same.
        changes.append(cells)
        records.append((case.pk, seal_record(case_key, case, cells)))
    record_changes(changes, +1)
    return records


def apply_pending(private_key: bytes, minimum: int) -> int:
    """Apply the pending changes, if at least `minimum` open, in one transaction: sum them per
    cell, add (one statement) and subtract (one, never below zero, and one deleting the cells
    left at zero), and delete the changes applied. Returns how many were applied (0: fewer than
    `minimum`, nothing done).

    A change that does not open (sealed to a routing key the worker no longer holds, or damaged)
    is logged by its row id only and left pending; it does not count towards the minimum.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One flush at a time: two flushes each taking part of the rows could apply a
            # withdrawal's -1 before the +1 it undoes (the subtraction stops at zero, and the +1
            # would then stay). Routing and withdrawal write only PatternChange, so this lock
            # waits for nothing else; readers of the counts are not blocked (SHARE ROW EXCLUSIVE
            # lets SELECT through).
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(PatternCount._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        pending = list(PatternChange.objects.select_for_update(skip_locked=True).order_by("pk"))
        if len(pending) < minimum:
            return 0
        private = crypto.load_private_key(private_key)
        totals: Counter[Cell] = Counter()
        applied = []
        for change in pending:
            try:
                totals.update(open_change(private, change))
            except (crypto.DecryptionError, ValueError, TypeError, KeyError, AttributeError):
                # Nothing of its content: only which row, and under which key it was sealed.
                logger.warning("pattern change %s (key %s) did not open", change.pk, change.key_id)
                continue
            applied.append(change.pk)
        if len(applied) < minimum:
            return 0
        add_counts(Counter({cell: n for cell, n in totals.items() if n > 0}))
        subtract_counts(Counter({cell: -n for cell, n in totals.items() if n < 0}))
        PatternChange.objects.filter(pk__in=applied).delete()
    return len(applied)
