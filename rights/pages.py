"""Rights pages rendered once and served from memory, at static-file speed (issue 16).

The explainers, the index, the glossary and the search page with no query are the same for every
reader of a language: no session, no form token, nothing about the reader. Each is rendered once
per process through the whole middleware stack, as any page is, and then kept with a
gzip-compressed copy, a strong ETag (a hash of its bytes) and a Last-Modified. After that,
RenderedPagesMiddleware answers from memory. It sits just inside WhiteNoise in MIDDLEWARE
(portal/settings.py): like a static file, a kept page skips the session, CSRF, authentication and
locale middleware, and the security headers are added by the same outer middleware as for every
other response (portal/middleware.py, Django's CSP and SecurityMiddleware;
tests/test_security_headers.py).

A page is kept under its path, which names its language and the page (/fr/rights/glossary/;
with the script prefix, if any, since links are built with it), in a store that holds one
generation of pages. A generation is everything else a page depends on:

- the content version, a hash of every file under rights/content/ (rights/content.py): a changed
  Markdown file, read when a deploy restarts the processes, gives new pages without any flush;
- today's date (the "may be out of date" notice of rights/views.py);
- the settings a page shows: RETENTION_DAYS_AFTER_CLOSE and BACKUP_RETENTION_DAYS (the retention
  sentences, portal/readers.py), SITE_NAME and QUICK_EXIT_URL. Any other change of settings
  (only tests change settings while running) empties the store too.

When the generation changes the whole store is dropped, so it never holds more than one copy of
each page: at most (explainers + 3) pages per language, about 20 KB each with its gzip copy.

Nothing that depends on the reader is ever kept. Only views marked with `served_from_memory`
qualify, and only for a response that shows it depends on nobody: status 200, not streamed, no
cookie set, no CSP nonce used, and no Vary, Cache-Control, ETag or Content-Encoding header of
its own. Django adds `Vary: Cookie` as soon as a view or template reads the session or asks for a
CSRF token, so a page that did either is served as rendered and never kept
(tests/rights/test_pages.py).
"""

import functools
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Concatenate

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csp import get_nonce
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from rights.content import ContentError, get_library

# Which views qualify, and on which condition (the search page: only without a query).
Condition = Callable[[HttpRequest], bool]
# Where a marked view leaves, for RenderedPagesMiddleware, the generation it renders in and its
# condition (a WSGI environ key: namespaced, never a header, which become HTTP_*).
_MARK = "rights.pages.kept"


def _always(request: HttpRequest) -> bool:
    return True


def served_from_memory[**P](
    when: Condition = _always,
) -> Callable[
    [Callable[Concatenate[HttpRequest, P], HttpResponseBase]],
    Callable[Concatenate[HttpRequest, P], HttpResponseBase],
]:
    """Marks a view whose page, when `when(request)` holds, is the same for every reader of its
    path, so that RenderedPagesMiddleware keeps it after rendering."""

    def mark(
        view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        @functools.wraps(view)
        def marked(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if when(request):
                # Taken before rendering: a page rendered as midnight passes is kept under the
                # day before, and so dropped at its next request, never kept a day too long.
                request.META[_MARK] = (_generation(), when)
            return view(request, *args, **kwargs)

        return marked

    return mark


# --- What a page is built from ---------------------------------------------------------------

# Besides the content, a page is built from the templates and the compiled translations. Both
# change only with a deploy (the image compiles the catalogues when it is built, Dockerfile).
TEMPLATE_FOLDERS = (
    Path(settings.BASE_DIR) / "templates",
    Path(__file__).resolve().parent / "templates",
)
CATALOGUES = Path(settings.BASE_DIR) / "locale"


@functools.cache
def _code_modified() -> float:
    """The newest modification time of the templates and compiled translations."""
    files = [p for folder in TEMPLATE_FOLDERS for p in folder.rglob("*.html")]
    files += list(CATALOGUES.rglob("*.mo"))
    return max((p.stat().st_mtime for p in files), default=0.0)


def _generation() -> tuple[Any, ...]:
    return (
        get_library().version,
        timezone.localdate(),
        settings.RETENTION_DAYS_AFTER_CLOSE,
        settings.BACKUP_RETENTION_DAYS,
        settings.SITE_NAME,
        settings.QUICK_EXIT_URL,
    )


# --- Kept pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """The page's bytes in one content coding, their ETag, and every header sent with them
    (built once: a kept page costs about as much Python per request as a static file)."""

    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]


def variant(
    body: bytes, etag: str, encoding: str, rendered: tuple[tuple[str, str], ...], modified: int
) -> Variant:
    headers = [*rendered, ("Content-Length", str(len(body)))]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    headers += [
        # Every variant says which request header chose it, or a shared cache could hand gzip
        # to a client that cannot read it.
        ("Vary", "Accept-Encoding"),
        ("ETag", etag),
        ("Last-Modified", http_date(modified)),
        # A returning reader's browser keeps the page but asks every time; an unchanged page
        # costs it a 304 of a few hundred bytes.
        ("Cache-Control", "no-cache"),
    ]
    return Variant(body, etag, tuple(headers))


# The request headers that make a request conditional (RFC 9110 section 13.1).
_CONDITIONS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


@dataclass(frozen=True)
class KeptPage:
    identity: Variant
    gzip: Variant | None  # None when compressing saves nothing
    last_modified: int  # seconds since the epoch
    serves: Condition
    generation: tuple[Any, ...]  # what it was rendered with

    def response(self, request: HttpRequest) -> HttpResponseBase:
        accepts = request.META.get("HTTP_ACCEPT_ENCODING", "")
        chosen = self.gzip if self.gzip and accepts_gzip(accepts) else self.identity
        response = HttpResponse(chosen.body)
        for name, value in chosen.headers:
            response.headers[name] = value
        if not any(name in request.META for name in _CONDITIONS):
            return response
        # 304 (If-None-Match, If-Modified-Since) or 412, with the same Vary and ETag.
        conditional = get_conditional_response(
            request, etag=chosen.etag, last_modified=self.last_modified, response=response
        )
        return conditional or response


# Browsers send a handful of different values: each is read once.
@functools.lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (RFC 9110 section 12.5.3): named with a
    quality above 0, or `*` with one and gzip not named."""
    qualities: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        qualities[coding.strip().lower()] = quality
    for coding in ("gzip", "x-gzip"):
        if coding in qualities:
            return qualities[coding] > 0
    return qualities.get("*", 0.0) > 0


# Headers that make a response depend on something other than its path, or that this module
# sets itself.
_REFUSED_HEADERS = ("Vary", "Cache-Control", "ETag", "Content-Encoding", "Set-Cookie")
_REPLACED_HEADERS = {"content-length", "last-modified"}


def keep(request: HttpRequest, response: HttpResponseBase) -> KeptPage | None:
    """The response to keep for every reader of this path, or None if it must not be kept."""
    mark = request.META.get(_MARK)
    if mark is None:  # not a marked view, or its condition did not hold
        return None
    generation, condition = mark
    if not isinstance(response, HttpResponse) or response.status_code != 200:
        return None
    if response.cookies or any(response.has_header(name) for name in _REFUSED_HEADERS):
        return None
    # A CSP nonce is for one response only, and a view's own CSP lives on its response object.
    if (
        get_nonce(request)
        or hasattr(response, "_csp_config")
        or hasattr(response, "_csp_ro_config")
    ):
        return None
    body = response.content
    digest = hashlib.sha256(body).hexdigest()[:32]
    compressed = gzip.compress(body, compresslevel=9, mtime=0)
    last_modified = max(get_library().modified, _code_modified())
    # A view whose page changed on a given day (the out-of-date notice) says so itself.
    changed = parse_http_date_safe(response.headers.get("Last-Modified", ""))
    if changed is not None:
        last_modified = max(last_modified, changed)
    rendered = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in _REPLACED_HEADERS
    )
    modified = int(last_modified)
    identity = variant(body, f'"{digest}"', "", rendered, modified)
    compressed_variant = variant(compressed, f'"{digest}-gzip"', "gzip", rendered, modified)
    return KeptPage(
        identity=identity,
        gzip=compressed_variant if len(compressed) < len(body) else None,
        last_modified=modified,
        serves=condition,
        generation=generation,
    )


def day_started(day: date) -> int:
    """The start of `day` in the portal's time zone, in seconds since the epoch (for a view's
    Last-Modified when its page changes on that day)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return int(start.timestamp())


class _Store:
    """The kept pages of one generation, by path. The pair is replaced as a whole, so the two
    threads of a gunicorn worker never see one generation's pages under another's.

    The generation is worked out only for a path that has a kept page (a rights page): other
    requests cost one dictionary lookup, and never read the rights library, so the intake works
    even if the content cannot be read (tests/rights/test_pages.py)."""

    def __init__(self) -> None:
        self._current: tuple[tuple[Any, ...] | None, dict[str, KeptPage]] = (None, {})

    def get(self, path: str) -> KeptPage | None:
        generation, pages = self._current
        page = pages.get(path)
        if page is None:
            return None
        try:
            now = _generation()
        except ContentError:  # the rights views fail on their own; nothing old is served
            now = None
        if generation != now:
            self.forget()
            return None
        return page

    def put(self, path: str, page: KeptPage) -> None:
        generation, pages = self._current
        if generation != page.generation:
            # A new generation: the old pages go. (A page rendered just before it changed
            # brings back its own, which the next get() drops again.)
            generation, pages = page.generation, {}
            self._current = (generation, pages)
        pages[path] = page

    def pages(self) -> dict[str, KeptPage]:
        """The pages kept now (for tests and the bench)."""
        return dict(self._current[1])

    def forget(self) -> None:
        self._current = (None, {})


STORE = _Store()


@receiver(setting_changed)
def _forget_on_setting_change(**kwargs: object) -> None:
    STORE.forget()


class RenderedPagesMiddleware:
    """Serves kept rights pages from memory; renders and keeps them on first request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        page = STORE.get(request.path)
        if page is not None and page.serves(request):
            # What CommonMiddleware would have checked: a Host not allowed is a 400.
            request.get_host()
            return page.response(request)
        response = self.get_response(request)
        page = keep(request, response)
        if page is None:
            return response
        STORE.put(request.path, page)
        # The first reader gets exactly what every later one will.
        return page.response(request)
