"""System checks for what Django's own checks cannot see in this project."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks.security import base
from django.test.utils import override_settings

from portal.help_contacts import HelpContactsError, parse

CSRF_MIDDLEWARE = "portal.middleware.CsrfViewMiddleware"
SECURITY_MIDDLEWARE = "portal.onion.OnionAwareSecurityMiddleware"
DJANGO_SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"


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


def check_security_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Stands in for Django's security.W001, which looks for Django's SecurityMiddleware by name
    and cannot recognise our subclass (portal/onion.py). Django's checks of HSTS, the HTTPS
    redirect, nosniff, the referrer and opener policies run only when it finds that name, so
    they are run here as if it had."""
    if SECURITY_MIDDLEWARE not in settings.MIDDLEWARE:
        return [
            checks.Warning(
                f"{SECURITY_MIDDLEWARE} must be in MIDDLEWARE: without it there is no HTTPS "
                "redirect, HSTS or nosniff header.",
                id="portal.W002",
            )
        ]
    as_django = [
        DJANGO_SECURITY_MIDDLEWARE if name == SECURITY_MIDDLEWARE else name
        for name in settings.MIDDLEWARE
    ]
    djangos_checks = (
        base.check_sts,
        base.check_sts_include_subdomains,
        base.check_sts_preload,
        base.check_content_type_nosniff,
        base.check_ssl_redirect,
        base.check_referrer_policy,
        base.check_cross_origin_opener_policy,
    )
    with override_settings(MIDDLEWARE=as_django):
        return [message for check in djangos_checks for message in check(app_configs)]


def check_help_contacts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The contacts file of "Get help now" parses (docs/help-contacts.md). Its review date is
    not checked here, where it would fail a deploy on a calendar date: the page shows it to
    readers, and the log warns when it is older than HELP_CONTACTS_REVIEW_MONTHS."""
    path = Path(settings.HELP_CONTACTS_FILE)
    try:
        parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, HelpContactsError) as error:
        return [
            checks.Error(
                f"HELP_CONTACTS_FILE cannot be used: {error}",
                hint="See docs/help-contacts.md.",
                id="portal.E002",
            )
        ]
    return []
