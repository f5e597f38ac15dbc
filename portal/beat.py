"""Celery beat's scheduler, with a sign of life for the container's healthcheck.

beat serves nothing and answers no remote-control ping, so `scripts/healthcheck.py beat` reads
the time of this file instead: the scheduler touches it when it starts and after every task it
has handed to the broker. The shortest schedule is one minute (CELERY_BEAT_SCHEDULE), so a file
older than BEAT_ALIVE_MAX_AGE seconds means beat is stuck or cannot send. docker-compose.yml runs
`celery -A portal beat --scheduler portal.beat:LivenessScheduler`.
"""

import os
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler

BEAT_ALIVE_FILE = Path(os.environ.get("BEAT_ALIVE_FILE", "/tmp/beat-alive"))  # noqa: S108
# Two and a half times the shortest schedule: one late or failed send is not yet a failure.
BEAT_ALIVE_MAX_AGE = 150


class LivenessScheduler(PersistentScheduler):
    def setup_schedule(self) -> None:
        super().setup_schedule()
        BEAT_ALIVE_FILE.touch()

    def apply_async(
        self, entry: Any, producer: Any = None, advance: bool = True, **kwargs: Any
    ) -> Any:
        # Raises when the broker cannot take the task: then the file is not touched.
        result = super().apply_async(entry, producer, advance, **kwargs)
        BEAT_ALIVE_FILE.touch()
        return result
