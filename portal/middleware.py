"""Response headers that every page, static file and error carries (docs/security.md, section 4)."""

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf as django_csrf
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import decorator_from_middleware


class SecurityHeadersMiddleware:
    """Adds the headers Django's SecurityMiddleware does not set itself.

    It sits outermost in MIDDLEWARE so that responses short-circuited by later middleware (static
    files from WhiteNoise, redirects, errors) get the same headers as views.

    It also forbids caching of every response from the areas that show case data or forms
    (intake, the staff pages and the admin), whatever the view did: a page kept in the browser's
    cache can be read back by whoever holds the device next (docs/security.md, section 4).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_private_area(request.path_info):
            add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        )
        return response


def is_staff_area(path: str) -> bool:
    return path.startswith(("/caseworker/", "/accounts/", "/" + settings.ADMIN_URL))


def is_private_area(path: str) -> bool:
    """The staff area, and a survivor's intake pages under any language prefix (/ar/intake/...)."""
    language, _, rest = path.lstrip("/").partition("/")
    intake = rest.startswith("intake/") and language in dict(settings.LANGUAGES)
    return intake or is_staff_area(path)


class CsrfViewMiddleware(django_csrf.CsrfViewMiddleware):
    """Django's CSRF protection, adapted to `Referrer-Policy: no-referrer`.

    With that policy (docs/security.md, section 4) browsers send `Origin: null` and no Referer on a
    form POST, even to the same site, so Django's origin and referer checks would refuse every
    form. Browsers also send `Sec-Fetch-Site`, which a page cannot forge: when it says
    `same-origin`, the origin check is satisfied by it. The CSRF token is still checked as usual,
    and requests without fetch metadata get Django's checks unchanged.
    """

    @staticmethod
    def _same_origin_by_fetch_metadata(request: HttpRequest) -> bool:
        return request.headers.get("Sec-Fetch-Site") == "same-origin"

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null" and self._same_origin_by_fetch_metadata(
            request
        ):
            return True
        return bool(super()._origin_verified(request))  # type: ignore[misc]

    def _check_referer(self, request: HttpRequest) -> None:
        if self._same_origin_by_fetch_metadata(request):
            return
        super()._check_referer(request)  # type: ignore[misc]


# For views that must read the request body themselves (encrypting uploads): use this instead of
# Django's csrf_protect, which would bring back the origin check that `Origin: null` fails.
_csrf_protect = decorator_from_middleware(CsrfViewMiddleware)


def csrf_protect(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return cast(Callable[..., HttpResponse], _csrf_protect(view))
