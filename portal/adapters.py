"""django-allauth adapters: staff accounts exist only by invitation."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Caseworkers are invited and vetted by coordinators; an open sign-up form would let a
        # persecutor plant someone (DESIGN.md threat model).
        return False
