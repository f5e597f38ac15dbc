"""The routing outbox's sweepers: jobs no worker took, cases past their acknowledgement
deadline, and cases waiting for a caseworker (intake/tasks.py runs them on beat's schedule)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from intake import audit
from intake.actions.grants import revoke_case
from intake.models import STAFF_RECIPIENT_PREFIX, KeyWrap, RecipientKey, RoutingJob, current_hour

# A pending job nobody claimed (the broker was down when it was sent) is sent again after this.
UNCLAIMED_AFTER = timedelta(minutes=1)


def claim_expires_after() -> timedelta:
    """A claimed job whose worker died is offered again after this long (longer than the task's
    hard time limit, so a live task is never offered twice)."""
    return timedelta(seconds=settings.ROUTING_CLAIM_EXPIRES_SECONDS)


def jobs_to_resend() -> list[tuple[int, bool]]:
    """(case pk, urgent) of jobs no worker took: pending for over a minute (the broker was
    down when they were sent) or claimed by a worker that died."""
    now = timezone.now()
    with transaction.atomic():
        stale_claims = RoutingJob.objects.select_for_update().filter(
            state=RoutingJob.State.CLAIMED, claimed_at__lt=now - claim_expires_after()
        )
        abandoned = list(stale_claims.values_list("case_id", "urgent"))
        stale_claims.update(state=RoutingJob.State.PENDING, claimed_at=None, claimed_by="")
    unclaimed = RoutingJob.objects.filter(
        state=RoutingJob.State.PENDING, available_at__lt=now - UNCLAIMED_AFTER
    ).exclude(case_id__in=[case_pk for case_pk, _ in abandoned])
    return abandoned + list(unclaimed.values_list("case_id", "urgent"))


def overdue_jobs() -> list[RoutingJob]:
    """Routed cases nobody acknowledged within the deadline (RoutingJobQuerySet.overdue)."""
    return list(RoutingJob.objects.overdue().select_related("case", "assigned_to"))


def reroute_overdue(job: RoutingJob) -> None:
    """Take the case from the caseworker who did not acknowledge it, and route it again; or,
    when its routing wrap is gone (it was handed over, so routing can no longer open it), give
    it to the coordinators to place."""
    missed = job.assigned_to
    if missed is None:  # overdue_jobs() never returns these
        return
    with transaction.atomic():
        revoke_case(job.case, f"{STAFF_RECIPIENT_PREFIX}{missed.pk}")
        routable = KeyWrap.objects.filter(
            case=job.case, recipient=RecipientKey.Purpose.ROUTING
        ).exists()
        if routable:
            RoutingJob.objects.filter(pk=job.pk).update(
                state=RoutingJob.State.PENDING,
                assigned_to=None,
                passed_over=[*job.passed_over, missed.pk],
                available_at=timezone.now() - UNCLAIMED_AFTER,
            )
        else:
            RoutingJob.objects.filter(pk=job.pk).update(
                state=RoutingJob.State.WAITING,
                assigned_to=None,
                passed_over=[*job.passed_over, missed.pk],
                reason=RoutingJob.DEADLINE_MISSED,
                reason_params={},
                available_at=current_hour(),
            )
        audit.record("case.deadline_missed", actor=None, case=job.case, subject=missed)


def waiting_jobs() -> list[tuple[int, bool]]:
    """Waiting cases that routing tries again: those for which nobody fitted. A case given back
    by its caseworker, or whose caseworker lost access, is for the coordinators to place."""
    return list(
        RoutingJob.objects.filter(
            state=RoutingJob.State.WAITING, reason=RoutingJob.NO_ELIGIBLE_CASEWORKER
        ).values_list("case_id", "urgent")
    )
