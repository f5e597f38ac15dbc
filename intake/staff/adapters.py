"""django-allauth adapters: staff accounts exist only by invitation, keys follow passwords, MFA
secrets are encrypted at rest, and the last authenticator cannot be removed."""

import base64

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.urls import reverse

from intake import actions, crypto
from intake.models import StaffProfile


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Caseworkers are invited and vetted by coordinators; an open sign-up form would let a
        # persecutor plant someone (the threat model at the top of docs/security.md).
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff land on their queue after signing in, not on the survivors' home page (which
        shows nothing staff-related either way). Someone without a staff profile (a Django
        superuser of the operator's) gets LOGIN_REDIRECT_URL as before."""
        if (
            request.user.is_authenticated
            and StaffProfile.objects.filter(user=request.user).exists()
        ):
            return reverse("caseworker:queue")
        return str(super().get_login_redirect_url(request))

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        """A password change re-seals the staff private key under the new password."""
        super().set_password(user, password)
        actions.staff_password_changed(self.request, user, password)


# Marks a stored secret as sealed (intake.crypto.sessions.seal_mfa_secret, whose first byte is
# its format version), so a secret stored in the clear is never taken for one.
_SEALED = "sealed:"


class PortalMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        """TOTP secrets and recovery-code seeds are stored encrypted (allauth stores them in the
        clear by default), under a key derived from MFA_SECRETS_KEY (intake/crypto/sessions.py)."""
        sealed = crypto.seal_mfa_secret(text, settings.MFA_SECRETS_KEY.encode())
        return _SEALED + base64.b64encode(sealed).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_SEALED):
            raise ValueError("an MFA secret is not encrypted")
        sealed = base64.b64decode(encrypted_text.removeprefix(_SEALED))
        try:
            return crypto.open_mfa_secret(sealed, settings.MFA_SECRETS_KEY.encode())
        except crypto.DecryptionError:
            raise ValueError("an MFA secret does not open with MFA_SECRETS_KEY") from None

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Staff must always keep a second factor (issue 5): the last TOTP or security key stays.
        if authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        others = (
            Authenticator.objects.filter(user_id=authenticator.user_id)
            .exclude(pk=authenticator.pk)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
        )
        return others.exists()
