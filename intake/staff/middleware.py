"""What every staff request goes through: a second factor before anything else, and the cookie
half of the staff member's unlocked private key (intake/access.py)."""

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from intake.access import STAFF_COOKIE_NAME, holds_staff_key
from portal.middleware import is_staff_area


class StaffKeyCookieMiddleware:
    """Sets the cookie half of a staff member's unlocked private key (intake/access.py) on the
    login response, and removes it once the session no longer holds the other half."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        unlock = getattr(request, "_staff_unlock_cookie", None)
        if unlock:
            response.set_cookie(
                STAFF_COOKIE_NAME,
                unlock,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Strict",
            )
        elif STAFF_COOKIE_NAME in request.COOKIES and not holds_staff_key(request):
            # Signed out (the session was flushed): the cookie half is useless, remove it.
            response.delete_cookie(STAFF_COOKIE_NAME, samesite="Strict")
        return response


class RequireStaffMfaMiddleware:
    """Sends a signed-in user without a second factor to set one up (allauth has no such switch).

    It applies to the staff areas only (the caseworker pages, the admin, the account pages); the
    pages that set up MFA and signing out stay reachable, or nobody could ever comply.
    """

    ALLOWED_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: reading request.user reads the session, and a page that read it
        # varies by cookie (and is never kept in memory, rights/pages.py).
        if (
            is_staff_area(request.path)
            and request.user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not is_mfa_enabled(request.user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
