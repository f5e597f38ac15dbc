import logging
from typing import Any

from django.apps import AppConfig
from django.core import checks

from portal.startup import web_worker_starting
from rights.content import ContentError, get_library

logger = logging.getLogger(__name__)


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "Rights library"

    def ready(self) -> None:
        checks.register(check_content, checks.Tags.compatibility)
        web_worker_starting.connect(read_library, dispatch_uid="rights.read_library")


def check_content(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`manage.py check` (and every deploy) fails on a malformed explainer or glossary."""
    try:
        get_library()
    except ContentError as exc:
        return [checks.Error(str(exc), id="rights.E001")]
    return []


def read_library(**kwargs: Any) -> None:
    """Parse and render the library before a web worker takes requests (portal/wsgi.py): on
    first use it took each gunicorn worker one to two seconds of CPU, while its first readers
    waited (docs/performance.md). A malformed content file is logged and leaves the rest of the
    portal serving (the intake above all); the rights pages then fail as they would have."""
    try:
        get_library()
    except ContentError:
        logger.exception("the rights library could not be read")
