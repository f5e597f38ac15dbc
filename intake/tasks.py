"""Celery tasks of the intake. Messages carry ids only (never text); every task is idempotent."""

import logging
from contextvars import Token
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django import db
from django.conf import settings

from intake import actions, audit, enqueue, routing
from intake.actions.pattern_changes import apply_pending
from intake.notifications import (
    coordinator_ids,
    notify_coordinators,
    send_notification,
    send_notifications,
    staff_addresses,
)
from intake.uploads import remove_orphan_files
from portal.logging import enter_survivor_action, leave_survivor_action

logger = logging.getLogger(__name__)

# The tasks a survivor's action sets off, run seconds after she sent: what they log keeps only
# the hour (portal/logging.py, SurvivorTimeFilter). The others run on beat's schedule.
SURVIVOR_TASKS = frozenset({"intake.tasks.route_case", "intake.tasks.notify_staff"})
_survivor_task_tokens: dict[str, Token[bool]] = {}


@task_prerun.connect
def enter_survivor_task(sender: Any = None, task_id: str = "", **kwargs: Any) -> None:
    if getattr(sender, "name", "") in SURVIVOR_TASKS:
        _survivor_task_tokens[task_id] = enter_survivor_action()


@task_postrun.connect
def leave_survivor_task(sender: Any = None, task_id: str = "", **kwargs: Any) -> None:
    token = _survivor_task_tokens.pop(task_id, None)
    if token is not None:
        leave_survivor_action(token)


@shared_task(name="intake.tasks.expire_vetting", ignore_result=True)
def expire_vetting() -> None:
    """Daily: vetting past its date expires; the person and the coordinators are told."""
    expired = actions.expire_vetting()
    if expired:
        send_notifications([p.user_id for p in expired] + coordinator_ids())


# Sending the routing task (the sweepers below, and bench/): by name, as actions do.
enqueue_routing = enqueue.route_case


@shared_task(
    bind=True,
    name="intake.tasks.route_case",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(db.Error,),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def route_case(self: Any, case_pk: int) -> str:
    """Route one case by its primary key (the message holds nothing else), and with it other
    cases not yet routed. Returns what happened to the message's own case."""
    # The task id names this delivery: the same message delivered again after its worker died
    # may take its own claims again (intake.routing.claim).
    batch = routing.route_case(case_pk, token=self.request.id)
    # Each caseworker who received cases is told once, however many the batch gave them.
    told = {p.caseworker_id for p in batch.placements if p.caseworker_id is not None}
    # Coordinators hear at once of an account that found nobody, and of every urgent account,
    # whoever it went to: someone may be in danger. The message is the same as any other. A
    # waiting account tried again ("still-waiting") does not tell them again.
    if any(
        p.outcome == "waiting" or (p.urgent and p.outcome == "routed") for p in batch.placements
    ):
        told.update(coordinator_ids())
    enqueue.notify_staff(told, urgent=any(p.urgent for p in batch.placements))
    return batch.outcome


@shared_task(
    bind=True,
    name="intake.tasks.notify_staff",
    ignore_result=True,
    acks_late=True,
    max_retries=8,
)
def notify_staff(self: Any, user_ids: list[int]) -> int:
    """Tell these staff members (by user id: the message holds nothing else) that there is
    something new for them. If the mail server fails, those not told yet are tried again later,
    and those already told are not told twice."""
    people = staff_addresses(user_ids)
    for position, (_, email) in enumerate(people):
        try:
            send_notification(email)
        except (OSError, SMTPException) as error:
            raise self.retry(
                args=([user_id for user_id, _ in people[position:]],),
                exc=error,
                countdown=min(600, 10 * 2**self.request.retries),
            ) from error
    return len(people)


@shared_task(name="intake.tasks.sweep_routing", ignore_result=True)
def sweep_routing() -> int:
    """Every minute: send again the routing of accounts no worker took (outbox sweeper)."""
    jobs = routing.jobs_to_resend()
    for case_pk, urgent in jobs:
        enqueue_routing(case_pk, urgent)
    return len(jobs)


@shared_task(name="intake.tasks.retry_waiting", ignore_result=True)
def retry_waiting() -> int:
    """Route again the accounts waiting for a caseworker (after someone is vetted or becomes
    available, and every few minutes)."""
    jobs = routing.waiting_jobs()
    for case_pk, urgent in jobs:
        enqueue_routing(case_pk, urgent)
    return len(jobs)


@shared_task(name="intake.tasks.enforce_deadlines", ignore_result=True)
def enforce_deadlines() -> int:
    """Every 15 minutes: cases not acknowledged in time go to someone else; coordinators are
    told."""
    overdue = routing.overdue_jobs()
    for job in overdue:
        routing.reroute_overdue(job)
        enqueue_routing(job.case_id, job.urgent)
    if overdue:
        notify_coordinators()
    return len(overdue)


@shared_task(name="intake.tasks.checkpoint_audit", ignore_result=True)
def checkpoint_audit() -> bool:
    """Hourly: sign the audit log's head with the checkpoint key (AUDIT_CHECKPOINT_KEY_FILE,
    which only the worker holds) and write it off the database (intake/audit.py)."""
    return audit.write_checkpoint() is not None


@shared_task(name="intake.tasks.purge_expired_cases", ignore_result=True)
def purge_expired_cases() -> int:
    """Daily: delete every wrap and ciphertext of cases closed longer than the retention period."""
    return actions.purge_expired_cases()


@shared_task(name="intake.tasks.sweep_orphan_files", ignore_result=True)
def sweep_orphan_files() -> int:
    """Every hour: remove encrypted files that no attachment refers to, once past the grace
    period (intake.uploads.remove_orphan_files). Logs only how many."""
    removed = remove_orphan_files(settings.ORPHAN_FILE_GRACE_HOURS * 3600)
    if removed:
        logger.info("removed %d encrypted files that no account refers to", removed)
    return removed


@shared_task(name="intake.tasks.apply_pattern_changes", ignore_result=True)
def apply_pattern_changes() -> int:
    """Every 15 minutes: apply the pending changes to the pattern counts, opened with the routing
    key, if at least PATTERN_FLUSH_MIN accounts' changes have gathered (else nothing, until
    then), in a transaction of its own (intake/actions/pattern_changes.py). Logs only how many."""
    applied = apply_pending(routing.routing_private_key(), settings.PATTERN_FLUSH_MIN)
    if applied:
        logger.info("applied %d pending changes to the pattern counts", applied)
    return applied
