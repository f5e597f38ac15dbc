"""Sending Celery tasks by name, so that what sends them (actions, the routing sweepers) never
imports intake/tasks.py or intake/routing/.

Messages carry ids only. Each sender survives a broker that is down: the routing outbox
(RoutingJob) is swept again every minute, waiting accounts are retried every few minutes, and a
notification that cannot be queued is sent here and now. Actions call these through on_commit, so
a write that rolls back sends nothing.
"""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

from intake import notifications
from portal.celery import app

logger = logging.getLogger(__name__)

# The tasks' names (intake/tasks.py registers them under these).
ROUTE_CASE = "intake.tasks.route_case"
NOTIFY_STAFF = "intake.tasks.notify_staff"
RETRY_WAITING = "intake.tasks.retry_waiting"

# A broker that does not answer is tried twice more, quickly, before giving up.
RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}


def on_commit(send: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Call `send(*args, **kwargs)` once the current transaction commits (now, outside one)."""
    transaction.on_commit(partial(send, *args, **kwargs))


def queue_for(urgent: bool) -> str:
    """Urgent accounts go through their own queue, which workers read first."""
    default = str(app.conf.task_default_queue)
    return f"{default}-urgent" if urgent else default


def _send(name: str, args: tuple[Any, ...], queue: str) -> None:
    """Send task `name`. With tasks run in-process (development without Redis,
    CELERY_TASK_ALWAYS_EAGER) it runs here, as Task.apply_async would run it."""
    if app.conf.task_always_eager:
        app.loader.import_default_modules()  # registers intake/tasks.py, found by name below
        app.tasks[name].apply_async(args=args, queue=queue)
        return
    app.send_task(name, args=args, queue=queue, retry=True, retry_policy=RETRY_POLICY)


def route_case(case_pk: int, urgent: bool) -> None:
    """Send the routing task for a case. If the broker is down the account is safe in the
    outbox and the sweeper sends it later, so a failure here is only logged."""
    try:
        _send(ROUTE_CASE, (case_pk,), queue_for(urgent))
    except Exception as error:  # kombu raises many kinds of connection errors
        # The class name only: the message may hold the broker's address and password.
        logger.warning(
            "routing for case %s not sent now (%s); the sweeper will send it",
            case_pk,
            type(error).__name__,
        )


def retry_waiting() -> None:
    """Ask routing to try the waiting accounts again (someone new may fit them)."""
    try:
        _send(RETRY_WAITING, (), queue_for(False))
    except Exception:  # the broker is down: the periodic retry will do it
        logger.warning("waiting accounts not re-routed now; the periodic retry will")


def notify_staff(user_ids: set[int], *, urgent: bool) -> None:
    """Tell these people (by user id) that there is something new for them, from a task in the
    urgent queue for an urgent account: nobody waits for the mail server. If the broker cannot
    take the task, they are told here and now."""
    if not user_ids:
        return
    try:
        _send(NOTIFY_STAFF, (sorted(user_ids),), queue_for(urgent))
    except Exception as error:  # kombu raises many kinds of connection errors
        logger.warning("notifications not queued (%s); sending them now", type(error).__name__)
        notifications.send_notifications(user_ids)


def notify_coordinators(*, urgent: bool) -> None:
    """notify_staff for every vetted coordinator."""
    notify_staff(set(notifications.coordinator_ids()), urgent=urgent)
