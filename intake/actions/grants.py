"""Giving staff members a case key, and taking it away: every staff wrap is made and removed here.

A grant wraps the case key to a staff member's public key, with the queue summary sealed beside
it (the language and kinds of harm their queue shows without opening the account). Routing
places cases through grant_cases (intake/routing/placement.py); coordinators, hand-overs and
regrants through grant_case. A wrap goes when its holder hands the case over, gives it back,
lets its deadline pass or loses access, and the routing wrap goes once the case has moved on.
"""

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from intake import audit, crypto
from intake.actions.read_models import QUEUE_SUMMARY, queue_summary
from intake.crypto import unwrapping
from intake.models import (
    STAFF_RECIPIENT_PREFIX,
    Case,
    KeyWrap,
    RecipientKey,
    RoutingJob,
    StaffProfile,
    current_hour,
)

logger = logging.getLogger(__name__)


class GrantRefused(Exception):
    """A grant that may not be made: a caseworker holds the case (hand-over is the way),
    the case does not wait for a caseworker, or the person is not vetted now or has no key."""


@dataclass(frozen=True)
class Grant:
    """A case key to wrap for a staff member."""

    case: Case
    case_key: bytes
    profile: StaffProfile


def seal_queue_summary(summary: Mapping[str, object], case: Case, profile: StaffProfile) -> bytes:
    """The summary sealed to this staff member's public key, for their wrap of this case."""
    return crypto.seal_to_recipient(
        json.dumps(summary).encode(),
        profile.public_key_bytes,
        purpose=QUEUE_SUMMARY,
        case_id=case.case_id,
        recipient=profile.recipient,
        key_id=profile.key_id,
    )


def grant_cases(grants: Sequence[Grant], *, by: User | None, action: str) -> None:
    """Wrap each case key for its staff member, with their queue summary sealed beside it, in two
    statements however many there are (routing places cases in batches), each grant audited.
    Only to people vetted today with a key: GrantRefused otherwise."""
    if not all(grant.profile.vetted_now and grant.profile.has_key for grant in grants):
        raise GrantRefused
    wraps = [
        KeyWrap(
            case=grant.case,
            recipient=grant.profile.recipient,
            key_id=grant.profile.key_id,
            wrapped=crypto.wrap_case_key(
                grant.case_key,
                grant.profile.public_key_bytes,
                case_id=grant.case.case_id,
                recipient=grant.profile.recipient,
                key_id=grant.profile.key_id,
            ),
            queue_summary=seal_queue_summary(
                queue_summary(grant.case, grant.case_key), grant.case, grant.profile
            ),
        )
        for grant in grants
    ]
    # No savepoint: the wraps and their audit entries stand or fall with the caller's transaction.
    with transaction.atomic(savepoint=False):
        # INSERT ... ON CONFLICT UPDATE: granting again replaces the wrap, and two grants at once
        # cannot both insert.
        KeyWrap.objects.bulk_create(
            wraps,
            update_conflicts=True,
            unique_fields=["case", "recipient"],
            update_fields=["key_id", "wrapped", "queue_summary"],
        )
        audit.append(
            [
                audit.entry(action, actor=by, case=grant.case, subject=grant.profile.user)
                for grant in grants
            ]
        )


def grant_case(
    case: Case, case_key: bytes, profile: StaffProfile, *, by: User | None, action: str
) -> None:
    """Wrap the case key for a staff member (a hand-over or a coordinator's grant)."""
    grant_cases([Grant(case, case_key, profile)], by=by, action=action)


# --- Removing wraps ------------------------------------------------------------------------------


def delete_routing_wrap(case: Case) -> None:
    """The case has moved out of "received" (acknowledged, a status change, a referral, a
    hand-over): only the worker could use the routing wrap, to route it, and it will not be
    routed by itself again, so the wrap goes (docs/security.md, section 6)."""
    KeyWrap.objects.filter(case=case, recipient=RecipientKey.Purpose.ROUTING).delete()


def revoke_case(case: Case, recipient: str) -> None:
    """This staff member (by recipient name) no longer holds the case."""
    KeyWrap.objects.filter(case=case, recipient=recipient).delete()


def revoke_all(profile: StaffProfile) -> list[int]:
    """Delete every wrap this staff member holds (they lost access, or their key changed);
    returns the primary keys of the cases they held."""
    wraps = KeyWrap.objects.filter(recipient=profile.recipient)
    held = list(wraps.values_list("case_id", flat=True))
    wraps.delete()
    return held


def held_by_a_caseworker(case_pks: Sequence[int]) -> "list[int]":
    """Those of these cases some staff member still holds."""
    return list(
        KeyWrap.objects.filter(case_id__in=case_pks, recipient__startswith=STAFF_RECIPIENT_PREFIX)
        .values_list("case_id", flat=True)
        .distinct()
    )


# --- Coordinators placing a case -----------------------------------------------------------------


def placed_by_coordinator(case: Case, to_profile: StaffProfile) -> None:
    """The routing job of a case a coordinator gave to someone: done, assigned to them."""
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE,
        assigned_to=to_profile.user,
        reason=RoutingJob.GRANTED,
        reason_params={},
        available_at=current_hour(),
        claimed_at=None,
        claimed_by="",
    )


def cases_to_regrant(profile: StaffProfile) -> list[Case]:
    """Open cases that wait in the coordinators' queue because this staff member's password was
    reset (intake.actions.staff.reset_staff_password), to be granted to them again."""
    return list(
        Case.objects.open()
        .filter(
            routing_job__assigned_to=profile.user_id,
            routing_job__state=RoutingJob.State.WAITING,
            routing_job__reason=RoutingJob.PASSWORD_RESET,
        )
        .order_by("id")
    )


def regrant_cases(profile: StaffProfile, coordinators_private: bytes, *, by: User) -> int:
    """Wrap each of cases_to_regrant() to the staff member's new key, opened through the
    coordinators' wrap (those cases wait in the coordinators' queue, so coordinators may open
    them). Returns how many were granted."""
    if not (profile.has_key and profile.vetted_now):
        return 0
    granted = 0
    for case in cases_to_regrant(profile):
        wrap = KeyWrap.objects.filter(
            case=case, recipient=RecipientKey.Purpose.COORDINATORS
        ).first()
        if wrap is None:
            continue
        try:
            case_key = unwrapping.unwrap_case_key(
                bytes(wrap.wrapped),
                coordinators_private,
                case_id=case.case_id,
                recipient=RecipientKey.Purpose.COORDINATORS,
                key_id=wrap.key_id,
            )
        except crypto.DecryptionError:
            # Wrapped to an older coordinators' key this coordinator does not hold.
            logger.warning("a case could not be granted again: its coordinators' key differs")
            continue
        with transaction.atomic():
            grant_case(case, case_key, profile, by=by, action="case.regranted")
            placed_by_coordinator(case, profile)
        granted += 1
    return granted
