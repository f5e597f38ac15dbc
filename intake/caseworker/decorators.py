"""Who may see a staff page, and the pages that ask for the password again.

Every staff page needs a signed-in staff member; intake.staff.middleware.RequireStaffMfaMiddleware
has already sent anyone without a second factor to set one up.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from intake.access import staff_profile
from intake.models import StaffProfile

View = Callable[..., HttpResponseBase]
# Finds what a view acts on from the request and the URL: the view's further arguments (a tuple),
# or the response to give instead (a form with errors). Raises Http404 for what is not there.
Finder = Callable[..., tuple[Any, ...] | HttpResponseBase]


def staff_required(view: View) -> View:
    """Signed in, a staff member (anyone else gets a 404), and the code of conduct accepted."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        profile = staff_profile(request)
        if profile is None:
            raise Http404
        if profile.conduct_accepted_on is None:
            return redirect("caseworker:conduct")
        return view(request, profile, *args, **kwargs)

    return wrapper


def coordinator_required(view: View) -> View:
    """A vetted coordinator; everyone else gets a 404, as if the page did not exist."""

    @staff_required
    @wraps(view)
    def wrapper(
        request: HttpRequest, profile: StaffProfile, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if not profile.is_vetted_coordinator:
            raise Http404
        return view(request, profile, *args, **kwargs)

    return wrapper


def ask_password_again(after: Finder) -> Callable[[View], View]:
    """The password is asked again (allauth's reauthentication) before an action that grants or
    takes away access: handing a case over, exporting it, inviting, resetting a password,
    re-granting cases.

    It is asked only `after` has found what the action is on, so that a case or a member who is
    not there gets the same 404 as on every other page, and a form with errors is shown again,
    before any password prompt. `after(request, profile, **url_kwargs)` gives the view's further
    arguments: the view is called as view(request, profile, *found). When the password has been
    given, allauth sends the request again, and everything is looked up afresh.
    """

    def decorator(view: View) -> View:
        reauthenticated = reauthentication_required(view)

        @wraps(view)
        def wrapper(
            request: HttpRequest, profile: StaffProfile, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            found = after(request, profile, *args, **kwargs)
            if isinstance(found, HttpResponseBase):
                return found
            return reauthenticated(request, profile, *found)

        return wrapper

    return decorator
