"""The Celery app, wired as in Celery's Django example (examples/django/proj/celery.py)."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
# Every CELERY_* setting in portal/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def reuse_database_connections(**kwargs: Any) -> None:
    """Treat each task as Django treats a request: keep the database connection for
    CONN_MAX_AGE, and check it before use (CONN_HEALTH_CHECKS), so a restarted PostgreSQL costs
    one failed check. Celery would otherwise close it around every task (see
    CELERY_DB_REUSE_MAX), and a new connection costs more than routing a case."""
    close_old_connections()
