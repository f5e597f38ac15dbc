"""Many cases at once, for measuring pages against a full database (`make bench`, and the query
count test in tests/caseworker/test_query_counts.py).

Making a real account costs an Argon2 derivation and several HPKE wraps, far too slow for 10,000
of them. `copy_cases` copies the sealed fields and wraps of one real case into new rows instead:
every row is real (its own public id, receipt lookup, wraps, routing job), so every query and
index sees a full table, but only the template can be decrypted, since each ciphertext names the
case it belongs to.
"""

import secrets
import uuid
from collections.abc import Sequence

from intake import actions
from intake.models import Case, KeyWrap, RoutingJob, StaffProfile, current_hour

# What each copy's queue summary says. Unlike the stand-in wrap, each is really sealed to its
# caseworker and names its own case, so a queue page opens a full page of them, as in real use.
SUMMARY = {"language": "ar", "harms": ["threats", "detention"]}

# A year's mix: most cases are being worked on or closed, a few are new.
STATUSES = [
    Case.Status.RECEIVED,
    Case.Status.ACKNOWLEDGED,
    Case.Status.IN_PROGRESS,
    Case.Status.IN_PROGRESS,
    Case.Status.REFERRED,
    Case.Status.CLOSED,
    Case.Status.CLOSED,
    Case.Status.CLOSED,
]


def copy_cases(
    template: Case, *, caseworkers: Sequence[StaffProfile], count: int, batch: int = 1000
) -> int:
    """Add `count` cases copied from `template`, given in turn to each of `caseworkers`, each
    with the survivor's, the service keys' and its caseworker's wraps and a finished routing
    job. Returns how many were added."""
    service_wraps = list(
        KeyWrap.objects.filter(case=template, recipient__in=["survivor", "routing", "coordinators"])
    )
    stand_in = bytes(service_wraps[0].wrapped)  # the right shape for a caseworker's wrap
    added = 0
    while added < count:
        size = min(batch, count - added)
        owners = [caseworkers[(added + n) % len(caseworkers)] for n in range(size)]
        cases = Case.objects.bulk_create(
            Case(
                public_id=uuid.uuid4(),
                receipt_lookup=secrets.token_hex(32),
                survivor_public_key=bytes(template.survivor_public_key),
                status=STATUSES[(added + n) % len(STATUSES)],
                urgent=(added + n) % 10 == 0,
                created_hour=current_hour(),
                updated_hour=current_hour(),
                answers=bytes(template.answers),
                routing_hints=bytes(template.routing_hints),
                contact=bytes(template.contact) if template.contact else None,
            )
            for n in range(size)
        )
        KeyWrap.objects.bulk_create(
            [
                KeyWrap(case=case, recipient=w.recipient, key_id=w.key_id, wrapped=w.wrapped)
                for case in cases
                for w in service_wraps
            ]
            + [
                KeyWrap(
                    case=case,
                    recipient=owner.recipient,
                    key_id=owner.key_id,
                    wrapped=stand_in,
                    queue_summary=actions.seal_queue_summary(SUMMARY, case, owner),
                )
                for case, owner in zip(cases, owners, strict=True)
            ]
        )
        RoutingJob.objects.bulk_create(
            RoutingJob(
                case=case,
                state=RoutingJob.State.DONE,
                urgent=case.urgent,
                assigned_to_id=owner.user_id,
                reason="bench copy",
            )
            for case, owner in zip(cases, owners, strict=True)
        )
        added += size
    return added
