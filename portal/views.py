"""Pages that belong to no single app: the home page, get-help page, health check, error pages."""

import logging
from datetime import timedelta

import redis
from django import db
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from portal.help_contacts import get_directory
from portal.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# beat records a heartbeat every minute; three missed beats means no worker is running.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    choices = [
        {
            "url": reverse("rights:index"),
            "title": _("Know your rights"),
            "text": _("Plain answers: is it a crime, who can you tell, will you be protected."),
        },
        {
            "url": reverse("intake:start"),
            "title": _("Share what happened"),
            "text": _("Safely, without your name. A trained caseworker will read it."),
        },
        {
            "url": reverse("intake:return"),
            "title": _("Come back with your receipt code"),
            "text": _("Read replies, add information, or withdraw what you shared."),
        },
        {
            "url": reverse("help"),
            "title": _("Get help now"),
            "text": _(
                "Emergency numbers and support where you are, and how to use this site safely."
            ),
        },
    ]
    return render(request, "portal/home.html", {"choices": choices})


# The value of "my country is not in the list".
NOT_LISTED = "none"


@csrf_exempt  # a POST that changes nothing: it only keeps the country out of the address
@require_http_methods(["GET", "HEAD", "POST"])
def get_help(request: HttpRequest) -> HttpResponse:
    """Emergency and support contacts for the country the reader picks (portal/help_contacts.py).

    The country is sent by POST, so it never appears in the address bar or the history; the form
    changes nothing on the server, so it needs no CSRF token.
    """
    language = get_language() or settings.LANGUAGE_CODE
    directory = get_directory()
    picked = request.POST.get("country", "")[:10] if request.method == "POST" else ""
    country = directory.countries.get(picked) if directory and picked else None
    countries = directory.countries_for(language) if directory else []
    context = {
        "directory": directory,
        "countries": [
            {"code": c.code, "name": c.name(language), "lang": c.name_language(language)}
            for c in countries
        ],
        "language": language,
        "picked": picked,
        "country": country,
        "country_name": country.name(language) if country else "",
        # Picked, but no contact is listed for it (or the list cannot be read).
        "none_listed": bool(picked) and country is None,
        "not_listed_value": NOT_LISTED,
    }
    return render(request, "portal/help.html", context)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # The reason goes to the log for the operator; the response says only "unavailable".
        logger.warning("health check: database unavailable", exc_info=True)
        return False
    return True


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
        client.close()
    except redis.RedisError:
        logger.warning("health check: broker unavailable", exc_info=True)
        return "unavailable"
    return "ok"


def _worker_state(database_ok: bool) -> str:
    if not settings.REDIS_URL:
        return "in-process"
    if not database_ok:
        return "unknown"
    try:
        heartbeat = WorkerHeartbeat.objects.filter(pk=WorkerHeartbeat.SINGLETON_ID).first()
    except db.Error:
        logger.warning("health check: cannot read the worker heartbeat", exc_info=True)
        return "unknown"
    if heartbeat is None or timezone.now() - heartbeat.seen_at > HEARTBEAT_STALE_AFTER:
        return "stale"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database and the broker answer, for load balancers and `docker compose`.

    Only one word per component: no host names, versions or error texts, which would help an
    attacker more than an operator (the operator has the logs). A missing worker is reported but
    does not fail the check: the web process can still take accounts safely (the outbox keeps them
    until a worker returns).
    """
    database_ok = _database_ok()
    broker = _broker_state()
    status = {
        "database": "ok" if database_ok else "unavailable",
        "broker": broker,
        "worker": _worker_state(database_ok),
    }
    healthy = database_ok and broker != "unavailable"
    return JsonResponse(status, status=200 if healthy else 503)


@require_safe
def password_reset_disabled(request: HttpRequest) -> HttpResponse:
    return render(request, "account/password_reset_disabled.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Django's default page talks of CSRF tokens and cookies; a survivor needs to know what to do.
    return render(request, "403_csrf.html", status=403)


# A last-resort page for when even the template system fails: the quick exit still works.
_BARE_SERVER_ERROR = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Error</title></head>
<body><p><a href="{exit}" rel="noreferrer">Leave this site quickly</a></p>
<h1>Something went wrong on our side</h1><p>If you were sending something, it was not received.
Please try again in a few minutes.</p></body></html>"""


def server_error(request: HttpRequest) -> HttpResponse:
    """Render 500.html with the full layout (quick exit, language links), never a stack trace.

    Django's default handler renders 500.html without context processors, which would leave the
    quick exit without its address.
    """
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.exception("the error page itself failed to render")
        try:
            # Through the exit address, as on every page: it ends a returning survivor's session.
            exit_url = reverse("intake:exit")
        except Exception:
            exit_url = settings.QUICK_EXIT_URL
        html = _BARE_SERVER_ERROR.format(exit=escape(exit_url))
        return HttpResponse(html, status=500)
