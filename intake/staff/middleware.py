from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from intake.access import STAFF_COOKIE_NAME, holds_staff_key


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
