from django.db import models


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the beat's heartbeat task; /healthz reads it.

    One row, overwritten every minute: it says that some worker is alive, not which one.
    """

    SINGLETON_ID = 1

    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker heartbeat at {self.seen_at:%Y-%m-%d %H:%M}"
