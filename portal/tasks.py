from celery import shared_task
from django.utils import timezone

from portal.models import WorkerHeartbeat


@shared_task(name="portal.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    """Scheduled by beat every minute; an idempotent overwrite of one row."""
    WorkerHeartbeat.objects.update_or_create(
        pk=WorkerHeartbeat.SINGLETON_ID, defaults={"seen_at": timezone.now()}
    )
