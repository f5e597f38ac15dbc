"""The staff sign-in form."""

from typing import Any

from allauth.account.forms import LoginForm

from intake.access import unlock_staff_key


class StaffLoginForm(LoginForm):
    """allauth's login form, which also unlocks the staff private key with the password.

    The key is opened here because this is the only moment the password is known; it is kept
    split between the session and a cookie (intake/access.py), and is usable only once the second
    factor has been given too.
    """

    def login(self, request: Any, redirect_url: Any = None) -> Any:
        profile = getattr(self.user, "staff_profile", None)
        if profile is not None:
            unlock_staff_key(request, profile, self.cleaned_data["password"])
        return super().login(request, redirect_url)
