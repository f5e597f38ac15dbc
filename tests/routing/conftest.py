import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings

from tests.caseworker.conftest import coordinator  # noqa: F401  (shared persona fixture)


@pytest.fixture
def own_queue() -> Iterator[str]:
    """A queue of this test's own, so that only the test's workers (not the session's) see what
    it sends."""
    from portal.celery import app

    configured = app.conf.task_default_queue
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = configured
    store = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in store.scan_iter(f"{queue}*"):
        store.delete(key)


def queued_tasks(queue: str) -> list[tuple[str, list[Any]]]:
    """(task name, arguments) of every message waiting in this queue and its urgent twin, read
    from Redis as a worker would receive them."""
    store = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    tasks = []
    # Kombu keeps one list per priority level: the queue's name, then a separator and a number.
    for key in store.scan_iter(f"{queue}*"):
        for raw in store.lrange(key, 0, -1):
            message = json.loads(raw)
            args, _, _ = json.loads(base64.b64decode(message["body"]))
            tasks.append((message["headers"]["task"], args))
    return tasks


def notifications(queue: str) -> list[list[int]]:
    """The user ids of each notify_staff message waiting in this queue."""
    return [args[0] for name, args in queued_tasks(queue) if name == "intake.tasks.notify_staff"]
