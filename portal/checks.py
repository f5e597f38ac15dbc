"""System checks for what Django's own checks cannot see in this project."""

from typing import Any

from django.conf import settings
from django.core import checks

CSRF_MIDDLEWARE = "portal.middleware.CsrfViewMiddleware"


def check_csrf_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Stands in for Django's security.W003, which looks for Django's CSRF middleware by name and
    cannot recognise our subclass (portal.middleware.CsrfViewMiddleware)."""
    if CSRF_MIDDLEWARE not in settings.MIDDLEWARE:
        return [
            checks.Error(
                f"{CSRF_MIDDLEWARE} must be in MIDDLEWARE: without it, forms have no CSRF "
                "protection.",
                id="portal.E001",
            )
        ]
    return []
