"""What log lines may hold (docs/security.md, section 3, docs/security.md section 3).

No IP address or user agent of a survivor is logged. Our own code never logs them, Django's
loggers do not either, and gunicorn's access log format leaves them out (gunicorn.conf.py).
RedactClientDetailsFilter is the last line: whatever a library formats into a message, any IP
address or user-agent string in it is replaced before a handler writes it.

No precise time of a survivor is logged either: nothing may tell the second at which a survivor
sent, returned or withdrew. gunicorn writes no access line for survivor paths
(SurvivorAccessFilter); while Django serves one, and while a worker runs a task that a survivor
set off (intake/tasks.py, SURVIVOR_TASKS), records below WARNING are dropped and the rest carry
the time rounded down to the hour (SurvivorTimeFilter). Celery's per-task lines are kept below
INFO in portal/settings.py (LOGGING).
"""

import ipaddress
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Candidate tokens; each is confirmed with the ipaddress module, so times such as 05:12:33 and
# version numbers such as 1.2.3 are left alone.
_IPV4_CANDIDATE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?\]?"
)
# A user-agent string always starts with a product token like Mozilla/5.0 or curl/8.1 followed by
# details; we remove from the token to the end of the quoted field or line.
_USER_AGENT = re.compile(
    r"(?:Mozilla|Opera|curl|Wget|python-requests|python-urllib|Python-urllib|HeadlessChrome"
    r"|Chrome|Safari|Dalvik|okhttp)/[^\"\n]*"
)

REDACTED = "[redacted]"


def _replace_ip(match: re.Match[str]) -> str:
    token = match.group(0)
    bare = token.strip("[]").split("%", 1)[0]
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return token
    return REDACTED


def redact(text: str) -> str:
    text = _USER_AGENT.sub(REDACTED, text)
    text = _IPV4_CANDIDATE.sub(_replace_ip, text)
    return _IPV6_CANDIDATE.sub(_replace_ip, text)


class RedactClientDetailsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        # Django attaches the request to some records (django.request, django.server); a formatter
        # that printed it would reveal REMOTE_ADDR, so drop it.
        if hasattr(record, "request"):
            record.request = None
        return True


# --- No timing trail of survivors ----------------------------------------------------------------

_survivor_action: ContextVar[bool] = ContextVar("survivor_action", default=False)


def is_survivor_path(path: str) -> bool:
    """A request to this path tells that a survivor is sending, returning, withdrawing or
    leaving: the intake under any language prefix (/ar/intake/...) or none (before the redirect
    to one), and the static files those pages load at the same moment. Rights pages, staff pages
    and the health check are not."""
    if path.startswith(("/intake/", "/static/")) or path == "/intake":
        return True
    language, _, rest = path.lstrip("/").partition("/")
    return language in dict(settings.LANGUAGES) and (rest == "intake" or rest.startswith("intake/"))


def enter_survivor_action() -> Token[bool]:
    """From here on (in this thread or task) log records keep only the hour; pass the token to
    leave_survivor_action."""
    return _survivor_action.set(True)


def leave_survivor_action(token: Token[bool]) -> None:
    _survivor_action.reset(token)


@contextmanager
def survivor_action() -> Iterator[None]:
    token = enter_survivor_action()
    try:
        yield
    finally:
        leave_survivor_action(token)


def in_survivor_action() -> bool:
    return _survivor_action.get()


def survivor_log_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Outermost in MIDDLEWARE: everything logged while a survivor path is served (CSRF
    refusals, errors, our own warnings) goes through SurvivorTimeFilter as a survivor's."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if not is_survivor_path(request.path):
            return get_response(request)
        with survivor_action():
            return get_response(request)

    return middleware


def round_to_the_hour(record: logging.LogRecord) -> None:
    record.created = float(int(record.created) // 3600 * 3600)
    record.msecs = 0.0


class SurvivorTimeFilter(logging.Filter):
    """For a record made while a survivor's request is served or a survivor's task runs: drop it
    below WARNING; otherwise round its time down to the hour. An operator still learns that
    something failed, and in which hour, but no line says at which second a survivor acted.

    Django logs a request's 4xx answer after the middleware has returned (BaseHandler
    .get_response), so the request attached to such a record is looked at too. This filter must
    come before RedactClientDetailsFilter, which removes that request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", "")
        if not (in_survivor_action() or (isinstance(path, str) and is_survivor_path(path))):
            return True
        if record.levelno < logging.WARNING:
            return False
        round_to_the_hour(record)
        return True


class SurvivorAccessFilter(logging.Filter):
    """gunicorn's access log (gunicorn.conf.py): no line at all for a survivor path, so neither
    the second of the request nor the size of the page is written. gunicorn passes the request's
    fields as a mapping; "U" is the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms: Any = record.args
        path = atoms.get("U") if isinstance(atoms, Mapping) else None
        return not (isinstance(path, str) and is_survivor_path(path))
