"""Celery tasks of the intake. Messages carry ids only (never text); every task is idempotent."""

import logging
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import DatabaseError

from intake import actions
from intake.models import RoutingJob, StaffProfile

logger = logging.getLogger(__name__)

# Every notification has the same words, whatever the case: nothing about it can leak by e-mail.
NOTIFICATION_SUBJECT = "Something to look at in the portal"
NOTIFICATION_BODY = "There is something new for you in the portal. Please sign in to see it."


@shared_task(name="intake.tasks.expire_vetting", ignore_result=True)
def expire_vetting() -> None:
    """Daily: vetting past its date expires; the person and the coordinators are told."""
    expired = actions.expire_vetting()
    if not expired:
        return
    coordinators = list(
        get_user_model()
        .objects.filter(
            staff_profile__role=StaffProfile.Role.COORDINATOR,
            staff_profile__vetting=StaffProfile.Vetting.VETTED,
        )
        .values_list("email", flat=True)
    )
    # One message per person: nobody learns who else works here from the recipient list.
    for email in sorted({p.user.email for p in expired} | set(coordinators)):
        send_mail(NOTIFICATION_SUBJECT, NOTIFICATION_BODY, None, [email])


def routing_queue(urgent: bool) -> str:
    """Urgent accounts go through their own queue, which workers read first."""
    from portal.celery import app

    default = str(app.conf.task_default_queue)
    return f"{default}-urgent" if urgent else default


def enqueue_routing(case_pk: int, urgent: bool) -> None:
    """Send the routing task (called on commit). If the broker is down the account is safe in
    the outbox and the sweeper sends it later, so a failure here is only logged."""
    try:
        route_case.apply_async(
            args=(case_pk,),
            queue=routing_queue(urgent),
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception as error:  # kombu raises many kinds of connection errors
        # The class name only: the message may hold the broker's address and password.
        logger.warning(
            "routing for case %s not sent now (%s); the sweeper will send it",
            case_pk,
            type(error).__name__,
        )


@shared_task(
    bind=True,
    name="intake.tasks.route_case",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def route_case(self: Any, case_pk: int) -> str:
    """Route one case by its primary key (the message holds nothing else)."""
    from intake import routing

    # The task id names this delivery: the same message delivered again after its worker died
    # may take its own claim again (intake.routing.claim).
    outcome = routing.route_case(case_pk, token=self.request.id)
    if outcome == "not-claimed":
        return outcome
    job = RoutingJob.objects.select_related("assigned_to").get(case_id=case_pk)
    if outcome == "routed" and job.assigned_to is not None:
        send_mail(NOTIFICATION_SUBJECT, NOTIFICATION_BODY, None, [job.assigned_to.email])
    # Coordinators hear at once of an account that found nobody, and of every urgent account,
    # whoever it went to: someone may be in danger. The message is the same as any other. A
    # waiting account tried again ("still-waiting") does not tell them again.
    if outcome == "waiting" or (job.urgent and outcome == "routed"):
        notify_coordinators()
    return outcome


def notify_coordinators() -> None:
    for email in (
        get_user_model()
        .objects.filter(
            staff_profile__role=StaffProfile.Role.COORDINATOR,
            staff_profile__vetting=StaffProfile.Vetting.VETTED,
        )
        .values_list("email", flat=True)
    ):
        send_mail(NOTIFICATION_SUBJECT, NOTIFICATION_BODY, None, [email])


@shared_task(name="intake.tasks.sweep_routing", ignore_result=True)
def sweep_routing() -> int:
    """Every minute: send again the routing of accounts no worker took (outbox sweeper)."""
    from intake import routing

    jobs = routing.jobs_to_resend()
    for case_pk, urgent in jobs:
        enqueue_routing(case_pk, urgent)
    return len(jobs)


@shared_task(name="intake.tasks.retry_waiting", ignore_result=True)
def retry_waiting() -> int:
    """Route again the accounts waiting for a caseworker (after someone is vetted or becomes
    available, and every few minutes)."""
    from intake import routing

    jobs = routing.waiting_jobs()
    for case_pk, urgent in jobs:
        enqueue_routing(case_pk, urgent)
    return len(jobs)


@shared_task(name="intake.tasks.enforce_deadlines", ignore_result=True)
def enforce_deadlines() -> int:
    """Every 15 minutes: cases not acknowledged in time go to someone else; coordinators are
    told."""
    from intake import routing

    overdue = routing.overdue_jobs()
    for job in overdue:
        routing.reroute_overdue(job)
        enqueue_routing(job.case_id, job.urgent)
    if overdue:
        notify_coordinators()
    return len(overdue)


@shared_task(name="intake.tasks.purge_expired_cases", ignore_result=True)
def purge_expired_cases() -> int:
    """Daily: delete every wrap and ciphertext of cases closed longer than the retention period."""
    return actions.purge_expired_cases()
