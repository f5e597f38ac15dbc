from django.apps import AppConfig
from django.core import checks


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal.checks import check_csrf_middleware, check_help_contacts

        checks.register(check_csrf_middleware, checks.Tags.security, deploy=False)
        checks.register(check_help_contacts)
