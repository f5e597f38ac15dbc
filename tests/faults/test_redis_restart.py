"""Redis restarts while a real Celery worker is routing a backlog of accounts.

A redis-server of this test's own, configured as in production (docker-compose.yml: no
persistence), is the broker of a real worker. Accounts are committed first, so their routing
messages wait in Redis. The worker starts on them, and while its two processes are each in the
middle of routing a batch of two accounts (ROUTING_BATCH_SIZE=2 in this worker; held there by the
caseworkers' rows being locked, as a slow routing transaction would), Redis is restarted: every
message still queued, and the unacknowledged ones the worker holds, are gone with it. The worker
reconnects by itself and finishes the four accounts it held; the sweeper
(intake.tasks.sweep_routing, every minute in the beat schedule) sends again what no worker took.
In the end:

- every account is routed exactly once: its job is done, it has exactly one caseworker wrap, and
  exactly one "case.routed" line in the audit log (a second delivery would add a second);
- nothing was lost: the routing of every account whose message went with Redis was re-sent.

(Redis stopped while accounts are submitted is tests/routing/test_redis_outage.py.)
"""

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from intake.tasks import sweep_routing
from tests.caseworker.conftest import make_persona
from tests.conftest import celery_broker, start_celery_worker, wait_for
from tests.faults.conftest import free_port
from tests.intake.conftest import account_data, send
from tests.routing.test_redis_outage import RedisServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 8
# Small enough that the two processes' batches leave accounts whose messages only Redis holds.
BATCH = 2


def routed() -> int:
    return RoutingJob.objects.filter(state=RoutingJob.State.DONE).count()


def in_flight() -> int:
    return RoutingJob.objects.filter(state=RoutingJob.State.CLAIMED).count()


def test_every_account_is_routed_once_across_a_redis_restart(
    celery_queue, worker_keys, worker_routing_key_file, tmp_path: Path
) -> None:
    team = [
        make_persona(f"caseworker{n}@example.org", languages=["ar"], capacity=ACCOUNTS)
        for n in range(2)
    ]
    server = RedisServer(free_port(), tmp_path)
    server.start()
    worker = None
    try:
        with celery_broker(server.url):
            # Committed and receipted; their routing messages wait in Redis for a worker.
            for number in range(ACCOUNTS):
                _, receipt = send(Client(), account_data(narrative=f"account {number}",
                                                         preferred_language="ar"))  # fmt: skip
                assert receipt
            assert server_queue_length(server, celery_queue) == ACCOUNTS

            # The caseworkers' rows are locked for a moment, as a long routing transaction would
            # hold them: the worker's two processes each claim a batch of two accounts and wait
            # in the middle of routing it, while the other messages wait in Redis.
            with transaction.atomic():
                list(StaffProfile.objects.select_for_update())
                worker = start_celery_worker(
                    celery_queue, tmp_path, routing_key_file=worker_routing_key_file,
                    broker_url=server.url, concurrency=2,
                    environment={"ROUTING_BATCH_SIZE": str(BATCH)},
                )  # fmt: skip
                assert wait_for(lambda: in_flight() == 2 * BATCH, 60), worker.log()
                server.stop()
                server.start()
            assert routed() == 0

            # Wait until the worker has finished what it held, then see what the restart lost.
            settle(worker)
            lost = RoutingJob.objects.filter(state=RoutingJob.State.PENDING).count()
            assert lost == ACCOUNTS - 2 * BATCH  # those in flight were finished, the rest lost

            # The sweeper's turn (a minute later in production: the jobs are made a minute old).
            RoutingJob.objects.filter(state=RoutingJob.State.PENDING).update(
                available_at=timezone.now() - timedelta(minutes=2)
            )
            assert sweep_routing() == lost
            assert wait_for(lambda: routed() == ACCOUNTS, 60), worker.log()
            time.sleep(1)  # any late duplicate delivery would land now
    finally:
        if worker is not None:
            worker.stop()
        server.stop()

    assert Case.objects.count() == ACCOUNTS
    for case in Case.objects.all():
        job = RoutingJob.objects.get(case=case)
        assert job.state == RoutingJob.State.DONE
        wraps = KeyWrap.objects.filter(case=case, recipient__startswith="caseworker:")
        assert wraps.count() == 1
        assert wraps.get().recipient == StaffProfile.objects.get(user=job.assigned_to).recipient
        routed_lines = AuditEntry.objects.filter(action="case.routed", case_ref=case.case_id)
        assert routed_lines.count() == 1
    counts = StaffProfile.objects.filter(user__in=[p.user for p in team])
    assert sum(counts.values_list("routed_count", flat=True)) == ACCOUNTS
    output = io.StringIO()
    call_command("verify_audit", stdout=output)  # the hash chain is whole
    assert "audit log intact" in output.getvalue()


def server_queue_length(server: RedisServer, queue: str) -> int:
    client = redis.Redis.from_url(server.url)
    return sum(int(client.llen(key)) for key in client.scan_iter(match=f"{queue}*"))


def settle(worker, quiet_seconds: float = 2.0, timeout: float = 30.0) -> None:
    """Wait until no job has changed state for `quiet_seconds` (the worker is idle)."""
    deadline = time.monotonic() + timeout
    last = None
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        now = sorted(RoutingJob.objects.values_list("state", flat=True))
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(0.1)
    raise AssertionError(f"routing did not settle:\n{worker.log()}")
