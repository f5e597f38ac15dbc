"""A worker killed (SIGKILL) in the middle of routing a case: the case is routed once, by another
worker.

To stop a real worker inside route_case after it has claimed the job, the test holds a row lock
on every caseworker's StaffProfile from a connection of its own: route_case locks the suitable
caseworkers' rows before it places a case, so it waits there, claim committed. Nothing in the
production code knows about the test.

(a) The pool process running the task is killed: Celery rejects the message (reject_on_worker_lost)
    and Redis hands it at once to the other worker, which may take the claim again because it is
    the same message.
(b) The whole worker is killed (main process and pool process: the machine died): the message
    stays unacknowledged in Redis, and the claim-expiry sweeper sends the job again.
"""

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from intake.tasks import sweep_routing
from tests.caseworker.conftest import make_persona
from tests.conftest import (
    CeleryWorker,
    sessions_waiting_for_a_lock,
    start_celery_worker,
    wait_for,
)
from tests.intake.conftest import account_data, send

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The sweeper in these workers offers a claim again after 3 s instead of 5 minutes.
CLAIM_EXPIRES_SECONDS = 3


class CaseworkersLocked:
    """Row locks on every StaffProfile, held from a database connection of the test's own (not
    the one the test's ORM calls use) until release()."""

    def __init__(self) -> None:
        self.connection = connections.create_connection("default")
        self.held = False

    def hold(self) -> None:
        self.connection.set_autocommit(False)
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT id FROM intake_staffprofile FOR UPDATE")
            assert cursor.rowcount > 0
        self.held = True

    def release(self) -> None:
        if self.held:
            self.connection.rollback()
            self.held = False
        self.connection.close()

    def someone_waits(self) -> bool:
        """Another session of this database waits for a lock (the task, inside route_case)."""
        return sessions_waiting_for_a_lock() > 0


@pytest.fixture
def caseworkers_locked() -> Iterator[CaseworkersLocked]:
    locks = CaseworkersLocked()
    yield locks
    locks.release()


def hostname(worker: CeleryWorker) -> str:
    return worker.name.replace("%h", socket.gethostname())


def start(queue: str, tmp_path: Path, routing_key_file: Path) -> CeleryWorker:
    return start_celery_worker(
        queue,
        tmp_path,
        concurrency=1,
        routing_key_file=routing_key_file,
        environment={"ROUTING_CLAIM_EXPIRES_SECONDS": str(CLAIM_EXPIRES_SECONDS)},
    )


def pool_process_running_the_task(worker: CeleryWorker) -> tuple[int, str]:
    """(pid, task id) of the pool process executing route_case in this worker."""
    from portal.celery import app

    active: dict[str, Any] = {}
    deadline = time.monotonic() + 10
    while not active.get(hostname(worker)) and time.monotonic() < deadline:
        active = app.control.inspect(destination=[hostname(worker)], timeout=1).active() or {}
    (task,) = active[hostname(worker)]
    assert task["name"] == "intake.tasks.route_case"
    return int(str(task["worker_pid"])), str(task["id"])


def claimed_case(caseworkers_locked: CaseworkersLocked) -> Case:
    """Send an account; the first worker claims it and waits for the caseworkers' rows."""
    caseworkers_locked.hold()
    send(Client(), account_data(preferred_language="ar"))
    case = Case.objects.get()
    assert wait_for(lambda: RoutingJob.objects.get(case=case).state == "claimed", 20), (
        RoutingJob.objects.get(case=case).state
    )
    return case


def assert_routed_once(case: Case, by: CeleryWorker, killed: CeleryWorker) -> None:
    job = RoutingJob.objects.get(case=case)
    assert job.state == "done"
    assert job.attempts == 2  # the killed worker's claim, then the survivor's
    wraps = KeyWrap.objects.filter(case=case, recipient__startswith="caseworker:")
    assert list(wraps.values_list("recipient", flat=True)) == [
        StaffProfile.objects.get(user=job.assigned_to).recipient
    ]
    assert (
        AuditEntry.objects.filter(action="case.routed", case_ref=str(case.public_id)).count() == 1
    )
    assert sum(StaffProfile.objects.values_list("routed_count", flat=True)) == 1
    # The task's result is recorded once it has returned, just after the commit seen above.
    assert wait_for(lambda: "'routed'" in results(by), 10), (by.outcomes(), by.log())
    assert "'routed'" not in results(killed), killed.outcomes()


def results(worker: CeleryWorker) -> list[str]:
    """What route_case returned in this worker, each time it returned (tests/celery_app.py)."""
    return [
        o.result for o in worker.outcomes("intake.tasks.route_case") if o.outcome == "succeeded"
    ]


def test_a_killed_pool_process_hands_the_case_to_the_other_worker(
    own_queue, worker_keys, worker_routing_key_file, caseworkers_locked, tmp_path
) -> None:
    from portal.celery import app

    make_persona("amina@example.org", languages=["ar"])
    make_persona("layla@example.org", languages=["ar"])
    victim = start(own_queue, tmp_path, worker_routing_key_file)
    survivor = None
    try:
        case = claimed_case(caseworkers_locked)
        assert wait_for(caseworkers_locked.someone_waits, 10)
        pid, task_id = pool_process_running_the_task(victim)
        survivor = start(own_queue, tmp_path, worker_routing_key_file)
        # The victim's main process lives on and would read the message again itself: it stops
        # reading the queue, so only the other worker can take it.
        assert app.control.cancel_consumer(own_queue, destination=[hostname(victim)], reply=True)
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: "WorkerLostError" in victim.log(), 10), victim.log()
        caseworkers_locked.release()
        assert wait_for(lambda: RoutingJob.objects.get(case=case).state == "done", 20), (
            survivor.log()
        )
        # The same message, delivered again: it carries the task id of the killed run. (Recorded
        # once the task has returned, which is after the case was committed.)
        assert wait_for(lambda: survivor.succeeded(task_id), 10), (
            survivor.outcomes(),
            survivor.log(),
        )
        assert_routed_once(case, by=survivor, killed=victim)
    finally:
        caseworkers_locked.release()
        for worker in (victim, survivor):
            if worker is not None:
                worker.stop()


def test_a_killed_worker_leaves_the_case_to_the_claim_expiry_sweeper(
    own_queue, worker_keys, worker_routing_key_file, caseworkers_locked, tmp_path
) -> None:
    make_persona("amina@example.org", languages=["ar"])
    victim = start(own_queue, tmp_path, worker_routing_key_file)
    survivor = None
    try:
        case = claimed_case(caseworkers_locked)
        assert wait_for(caseworkers_locked.someone_waits, 10)
        pid, _ = pool_process_running_the_task(victim)
        survivor = start(own_queue, tmp_path, worker_routing_key_file)
        # The main process first, so that it cannot see its pool process die and requeue.
        victim.process.kill()
        victim.process.wait()
        os.kill(pid, signal.SIGKILL)
        caseworkers_locked.release()
        # Nobody acknowledged or rejected the message: it stays with the dead worker, and the
        # job stays claimed.
        time.sleep(1)
        job = RoutingJob.objects.get(case=case)
        assert job.state == "claimed"
        # Once the claim has expired, the sweeper (run by beat every minute) sends it again.
        assert job.claimed_at is not None
        time.sleep(
            max(0.0, CLAIM_EXPIRES_SECONDS + 0.5 - (time.time() - job.claimed_at.timestamp()))
        )
        sweep_routing.delay()
        assert wait_for(lambda: RoutingJob.objects.get(case=case).state == "done", 20), (
            survivor.log()
        )
        assert_routed_once(case, by=survivor, killed=victim)
    finally:
        caseworkers_locked.release()
        for worker in (victim, survivor):
            if worker is not None:
                worker.stop()
