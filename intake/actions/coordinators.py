"""What coordinators do: share the coordinators' key, give waiting cases to caseworkers; and
what moves a case between staff members: hand-over and escalation."""

from django.contrib.auth.models import User
from django.db import transaction

from intake import audit, crypto, enqueue
from intake.actions.grants import (
    GrantRefused,
    delete_routing_wrap,
    grant_case,
    held_by_a_caseworker,
    placed_by_coordinator,
    revoke_case,
)
from intake.models import Case, RecipientKey, RoutingJob, StaffProfile


def share_coordinators_key(
    profile: StaffProfile, coordinators_private: bytes, by: User | None
) -> None:
    """Give a coordinator the coordinators' key, wrapped to their own public key."""
    key = RecipientKey.objects.filter(
        purpose=RecipientKey.Purpose.COORDINATORS, active=True
    ).first()
    if key is None or crypto.key_pair_from_seed(coordinators_private).public != bytes(
        key.public_key
    ):
        raise ValueError("this is not the active coordinators' key")
    with transaction.atomic():
        profile.coordinators_key_share = crypto.wrap_private_key(
            coordinators_private,
            profile.public_key_bytes,
            recipient=profile.recipient,
            key_id=profile.key_id,
        )
        profile.coordinators_key_id = key.key_id
        profile.save(update_fields=["coordinators_key_share", "coordinators_key_id"])
        audit.record("staff.coordinators_key_shared", actor=by, subject=profile.user)


def grant_from_coordinators(
    case: Case, case_key: bytes, to_profile: StaffProfile, by: User
) -> None:
    """A coordinator gives a waiting (or overdue) case to a caseworker of their choice; refused
    with GrantRefused while a caseworker holds it, or once it no longer waits."""
    with transaction.atomic():
        # Locked, so a routing or a grant at the same moment cannot place it twice.
        job = (
            RoutingJob.objects.select_for_update()
            .filter(case=case, pk__in=RoutingJob.objects.open_to_coordinators().values("pk"))
            .first()
        )
        if job is None or held_by_a_caseworker([case.pk]):
            raise GrantRefused
        grant_case(case, case_key, to_profile, by=by, action="case.granted")
        placed_by_coordinator(case, to_profile)


def hand_over(
    case: Case, case_key: bytes, from_profile: StaffProfile, to_profile: StaffProfile
) -> None:
    """Pass a case to a colleague: they get a wrap, the old holder loses theirs."""
    with transaction.atomic():
        grant_case(case, case_key, to_profile, by=from_profile.user, action="case.handed_over")
        revoke_case(case, from_profile.recipient)
        delete_routing_wrap(case)
        RoutingJob.objects.filter(case=case).update(assigned_to=to_profile.user)
        audit.record(
            "case.access_revoked", actor=from_profile.user, case=case, subject=from_profile.user
        )


def escalate(case: Case, from_profile: StaffProfile) -> None:
    """Give a case back to the coordinators' queue; the caseworker loses access at once. The
    coordinators are told once it is committed: an escalation rolled back tells nobody."""
    with transaction.atomic():
        revoke_case(case, from_profile.recipient)
        job = RoutingJob.objects.select_for_update().get(case=case)
        job.state = RoutingJob.State.WAITING
        job.assigned_to = None
        job.reason = RoutingJob.ESCALATED
        job.reason_params = {}
        # Should a coordinator send it back to routing, it does not go to the same person.
        job.passed_over = [*job.passed_over, from_profile.user_id]
        job.save(update_fields=["state", "assigned_to", "reason", "reason_params", "passed_over"])
        audit.record("case.escalated", actor=from_profile.user, case=case)
        # From a task, so the caseworker does not wait for the mail server.
        enqueue.on_commit(enqueue.notify_coordinators, urgent=case.urgent)
