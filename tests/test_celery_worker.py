"""A real Celery worker, on the real Redis broker, runs tasks against the real test database."""

import pytest
import redis
from django.conf import settings
from django.test import Client

from portal.models import WorkerHeartbeat
from portal.tasks import record_heartbeat
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_through_redis_is_run_by_the_worker(celery_worker) -> None:
    WorkerHeartbeat.objects.all().delete()
    record_heartbeat.delay()
    assert wait_for(lambda: WorkerHeartbeat.objects.exists()), celery_worker.log()
    # This worker ran it (its per-task log lines are below INFO: tests/celery_app.py).
    assert "portal.tasks.record_heartbeat" in {o.task for o in celery_worker.outcomes()}


def test_healthz_reports_the_worker_once_it_has_run(celery_worker, client: Client) -> None:
    WorkerHeartbeat.objects.all().delete()
    assert client.get("/healthz").json()["worker"] == "stale"
    record_heartbeat.delay()
    assert wait_for(lambda: WorkerHeartbeat.objects.exists()), celery_worker.log()
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok", "worker": "ok"}


def test_task_messages_carry_no_arguments_beyond_ids(celery_queue: str) -> None:
    # Without a worker on the queue the message stays in Redis, where we can read it.
    from portal.celery import app

    app.conf.task_default_queue = f"{celery_queue}-inspect"
    try:
        record_heartbeat.delay()
    finally:
        app.conf.task_default_queue = celery_queue
    client = redis.Redis.from_url(settings.REDIS_URL)
    messages = client.lrange(f"{celery_queue}-inspect", 0, -1)
    client.delete(f"{celery_queue}-inspect")
    assert len(messages) == 1
    assert b'"argsrepr": "()"' in messages[0]
    assert b'"kwargsrepr": "{}"' in messages[0]
