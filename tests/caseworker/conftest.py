"""Staff personas: each made through the real invitation, with a key pair and a TOTP device."""

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.utils import timezone

from intake import actions
from intake.models import StaffProfile

# Time a test may take between making a code and the server checking it (a browser test types
# it in well under a second). Each sign-in waits m/2 s on average with probability m/30, so the
# margin stays small: the suite signs in hundreds of times.
TOTP_MARGIN_SECONDS = 1


@dataclass
class Persona:
    user: Any
    password: str
    totp_secret: str | None

    @property
    def profile(self) -> StaffProfile:
        return StaffProfile.objects.get(user=self.user)

    def forget_used_code(self) -> None:
        """allauth refuses a TOTP code used once already (a replay); a test that signs the same
        person in twice within one 30-second window forgets the first use."""
        from django.core.cache import cache

        cache.delete(f"allauth.mfa.totp.used?user={self.user.pk}&code={self.totp_code()}")

    def totp_code(self) -> str:
        """The code of the current period, as an authenticator app shows it. Close to the end of
        a period, the next one is waited for: a code made at 29.99 s and checked at 30.01 s is
        refused (settings leave allauth's MFA_TOTP_TOLERANCE at 0), which made a sign-in
        fail about once a suite."""
        assert self.totp_secret
        period = mfa_settings.TOTP_PERIOD
        left = period - time.time() % period
        if left < TOTP_MARGIN_SECONDS:
            time.sleep(left + 0.05)
        counter = next(iter(yield_hotp_counters_from_time()))
        return format_hotp_value(hotp_value(self.totp_secret, counter))


def make_persona(
    email: str,
    *,
    role: str = StaffProfile.Role.CASEWORKER,
    vetting: str = StaffProfile.Vetting.VETTED,
    mfa: bool = True,
    conduct: bool = True,
    **profile: Any,
) -> Persona:
    password = secrets.token_urlsafe(16)
    user, _ = actions.invite_staff(email=email, role=role, invited_by=None, **profile)
    actions.accept_invitation(user, password)
    vetted = vetting == StaffProfile.Vetting.VETTED
    StaffProfile.objects.filter(user=user).update(
        vetting=vetting,
        # As actions.vet_staff does: vetting has a date it runs out on, checked at every opening.
        vetted_until=timezone.now().date() + timedelta(days=365) if vetted else None,
        conduct_accepted_on="2026-11-01" if conduct else None,
    )
    secret = None
    if mfa:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
    user.refresh_from_db()
    return Persona(user, password, secret)


def sign_in(client: Client, persona: Persona) -> Client:
    """The real login: password, then the TOTP code, as a browser would send them."""
    response = client.post(
        "/accounts/login/", {"login": persona.user.email, "password": persona.password}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    if persona.totp_secret:
        assert response["Location"].startswith("/accounts/2fa/authenticate/")
        response = client.post(response["Location"], {"code": persona.totp_code()})
        assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def caseworker(db) -> Persona:
    return make_persona("assigned@example.org", languages=["ar"], specialisms=["sexual_violence"])


@pytest.fixture
def other_caseworker(db) -> Persona:
    return make_persona("other@example.org", languages=["fa"])


@pytest.fixture
def unvetted_caseworker(db) -> Persona:
    return make_persona("unvetted@example.org", vetting=StaffProfile.Vetting.PENDING)


@pytest.fixture
def suspended_caseworker(db) -> Persona:
    return make_persona("suspended@example.org", vetting=StaffProfile.Vetting.SUSPENDED)


@pytest.fixture
def caseworker_without_mfa(db) -> Persona:
    return make_persona("nomfa@example.org", mfa=False)


@pytest.fixture
def coordinator(db) -> Persona:
    return make_persona("coordinator@example.org", role=StaffProfile.Role.COORDINATOR)


def enter_totp_code(page: Any, persona: Persona) -> None:
    """Answer the second-factor page in a browser, waiting for the answer: a page.goto() while
    the code's POST is still under way cancels it, and the test then goes on signed out. On a
    slow machine the 30-second code can expire between reading and sending it: one more try."""
    for _ in range(2):
        page.fill("input[name=code]", persona.totp_code())
        with page.expect_navigation():
            page.click("form button[type=submit]")
        if "/accounts/2fa/authenticate/" not in page.url:
            return
        persona.forget_used_code()
    raise AssertionError(f"the second factor was refused: {page.url}")


def reauthenticate(client: Client, response: Any, persona: Persona) -> Any:
    """Answer allauth's request for the password again before a sensitive action; allauth then
    carries out the action that asked for it."""
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith("/accounts/reauthenticate/")
    return client.post(response["Location"], {"password": persona.password})


@pytest.fixture
def key_holding_coordinator(coordinator, service_keys) -> Persona:
    """A coordinator who holds the coordinators' key (as after vetting by another coordinator)."""
    from django.core.management import call_command

    call_command(
        "share_coordinators_key",
        coordinator.user.email,
        coordinators_key_file=str(service_keys.coordinators),
    )
    return coordinator


@pytest.fixture
def unwrapped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The case ids whose key is unwrapped with HPKE (intake.crypto.unwrapping.unwrap_case_key)
    from now on in this test, in order."""
    from intake.crypto import unwrapping

    seen: list[str] = []
    real_unwrap = unwrapping.unwrap_case_key

    def counting_unwrap(*args: Any, **kwargs: Any) -> bytes:
        seen.append(kwargs["case_id"])
        return real_unwrap(*args, **kwargs)

    monkeypatch.setattr(unwrapping, "unwrap_case_key", counting_unwrap)
    return seen
