"""The portal's Celery app as the test workers run it (`celery -A tests.celery_app worker`).

It is portal.celery's app, unchanged, with one listener more: each task that ends writes a line
(task name, id, and what it returned or the class of what it raised) to the file named by
TASK_OUTCOMES_FILE. The worker's log says nothing per task at INFO (no line may carry the
second at which a survivor's account was routed: portal/settings.py, LOGGING), so tests that
must know which worker ran which delivery of a message read this file instead
(tests/conftest.py, CeleryWorker.outcomes).
"""

import json
import os
from typing import Any

from celery.signals import task_failure, task_success

from portal.celery import app

__all__ = ["app"]


def _write(line: dict[str, str]) -> None:
    path = os.environ.get("TASK_OUTCOMES_FILE")
    if path:
        # One short write per line in append mode: lines from the pool processes do not mix.
        with open(path, "a", encoding="utf-8") as outcomes:
            outcomes.write(json.dumps(line) + "\n")


@task_success.connect
def record_success(sender: Any = None, result: Any = None, **kwargs: Any) -> None:
    _write(
        {
            "task": sender.name,
            "id": sender.request.id,
            "outcome": "succeeded",
            "result": repr(result),
        }
    )


@task_failure.connect
def record_failure(
    sender: Any = None, task_id: str = "", exception: BaseException | None = None, **kwargs: Any
) -> None:
    _write(
        {
            "task": sender.name,
            "id": task_id,
            "outcome": "failed",
            "result": type(exception).__name__,
        }
    )
