from typing import Any

from django.apps import AppConfig
from django.core import checks


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "Rights library"

    def ready(self) -> None:
        checks.register(check_content, checks.Tags.compatibility)


def check_content(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`manage.py check` (and every deploy) fails on a malformed explainer or glossary."""
    from rights.content import ContentError, get_library

    try:
        get_library()
    except ContentError as exc:
        return [checks.Error(str(exc), id="rights.E001")]
    return []
