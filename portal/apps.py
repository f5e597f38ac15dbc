from django.apps import AppConfig
from django.core import checks

from portal.checks import check_csrf_middleware, check_help_contacts, check_security_middleware


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        checks.register(check_csrf_middleware, checks.Tags.security, deploy=False)
        checks.register(check_security_middleware, checks.Tags.security, deploy=True)
        checks.register(check_help_contacts)
