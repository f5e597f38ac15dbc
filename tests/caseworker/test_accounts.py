"""Staff accounts: invitation, password and key, MFA required everywhere staff go."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client

from intake import crypto
from intake.access import StaffKeyLocked, staff_private_key
from intake.models import StaffProfile
from intake.staff.adapters import PortalMFAAdapter
from tests.caseworker.conftest import make_persona, sign_in

pytestmark = pytest.mark.django_db


def test_nobody_can_sign_up(client: Client) -> None:
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode() or response.status_code in (403, 404)
    client.post(
        "/accounts/signup/",
        {"email": "x@example.org", "password1": "p" * 14, "password2": "p" * 14},
    )
    assert not get_user_model().objects.filter(email="x@example.org").exists()


def test_an_invitation_sets_a_password_and_makes_a_key_pair(client: Client, capsys) -> None:
    call_command(
        "invite_caseworker",
        "new@example.org",
        "--languages",
        "ar",
        "fa",
        "--specialisms",
        "children",
    )
    found = re.search(r"Invitation link: (\S+)", capsys.readouterr().out)
    assert found
    link = found.group(1)
    assert mail.outbox[0].to == ["new@example.org"]
    assert link in mail.outbox[0].body
    page = client.get(link)
    assert page.status_code == 200
    weak = client.post(link, {"password1": "short", "password2": "short"})
    assert "This password is too short" in weak.content.decode()
    done = client.post(
        link, {"password1": "a-long-enough-pass-phrase", "password2": "a-long-enough-pass-phrase"}
    )
    assert "Your password is set" in done.content.decode()
    profile = StaffProfile.objects.get(user__email="new@example.org")
    assert profile.vetting == StaffProfile.Vetting.PENDING
    assert profile.languages == ["ar", "fa"]
    assert profile.has_key
    private = profile.open_private_key("a-long-enough-pass-phrase")
    assert crypto.key_pair_from_seed(private).public == bytes(profile.public_key or b"")
    # The link works once.
    assert client.get(link).status_code == 404


def test_a_staff_member_without_mfa_is_sent_to_set_it_up(
    client: Client, caseworker_without_mfa
) -> None:
    sign_in(client, caseworker_without_mfa)
    response = client.get("/caseworker/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before a second factor is added; both pages stay
    # reachable without MFA.
    reauthenticate = client.get("/accounts/2fa/totp/activate/")
    assert reauthenticate["Location"].startswith("/accounts/reauthenticate/")
    client.post(reauthenticate["Location"], {"password": caseworker_without_mfa.password})
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200
    # The QR code is a data: image, which the Content-Security-Policy allows (no request).
    assert 'src="data:image/svg+xml' in activate.content.decode()
    assert "data:" in activate["Content-Security-Policy"].split("img-src")[1].split(";")[0]


def test_signing_in_needs_the_second_factor_and_unlocks_the_key(client: Client, caseworker) -> None:
    response = client.post(
        "/accounts/login/", {"login": caseworker.user.email, "password": caseworker.password}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    # Not signed in yet: the queue sends to the login page.
    assert client.get("/caseworker/")["Location"].startswith("/accounts/login/")
    wrong = client.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 200
    client.post(response["Location"], {"code": caseworker.totp_code()})
    assert client.get("/caseworker/").status_code == 200
    assert client.cookies["staff_unlock"]["httponly"]


def test_the_private_key_needs_both_the_session_and_the_cookie(
    client: Client, caseworker, rf
) -> None:
    sign_in(client, caseworker)
    session = client.session
    request = rf.get("/")
    request.user = caseworker.user
    request.session = session
    with pytest.raises(StaffKeyLocked):
        staff_private_key(request)  # the session half alone
    request.COOKIES["staff_unlock"] = client.cookies["staff_unlock"].value
    private = staff_private_key(request)
    assert crypto.key_pair_from_seed(private).public == bytes(caseworker.profile.public_key)


def test_totp_secrets_are_encrypted_at_rest(caseworker) -> None:
    stored = Authenticator.objects.get(user=caseworker.user, type=Authenticator.Type.TOTP)
    assert stored.data["secret"].startswith("sealed:")
    assert caseworker.totp_secret not in str(stored.data)
    assert PortalMFAAdapter().decrypt(stored.data["secret"]) == caseworker.totp_secret


def test_the_last_authenticator_cannot_be_removed(caseworker) -> None:
    totp = Authenticator.objects.get(user=caseworker.user, type=Authenticator.Type.TOTP)
    assert PortalMFAAdapter().can_delete_authenticator(totp) is False


def test_password_reset_by_email_is_off(client: Client, caseworker) -> None:
    response = client.get("/accounts/password/reset/")
    assert response.status_code == 404
    assert "Ask a coordinator to reset your password" in response.content.decode()
    client.post("/accounts/password/reset/", {"email": caseworker.user.email})
    assert mail.outbox == []


def test_a_password_change_reseals_the_same_key(client: Client, caseworker) -> None:
    sign_in(client, caseworker)
    before = bytes(caseworker.profile.public_key)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": caseworker.password,
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = caseworker.profile
    assert bytes(profile.public_key) == before
    with pytest.raises(crypto.DecryptionError):
        crypto.open_private_key(
            bytes(profile.sealed_private_key), caseworker.password, bytes(profile.key_salt)
        )
    private = crypto.open_private_key(
        bytes(profile.sealed_private_key), "a-brand-new-passphrase", bytes(profile.key_salt)
    )
    assert crypto.key_pair_from_seed(private).public == before


def test_a_coordinator_reset_makes_a_new_key(caseworker) -> None:
    from intake import actions

    old = bytes(caseworker.profile.public_key)
    actions.staff_password_changed(None, caseworker.user, "reset-by-a-coordinator")
    profile = caseworker.profile
    assert bytes(profile.public_key) != old
    assert profile.key_version == 2


def test_the_admin_login_goes_through_allauth(client: Client, settings) -> None:
    response = client.get(f"/{settings.ADMIN_URL}login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_code_of_conduct_comes_first(client: Client, db) -> None:
    persona = make_persona("new-hire@example.org", conduct=False)
    sign_in(client, persona)
    assert client.get("/caseworker/")["Location"] == "/caseworker/conduct/"
    refused = client.post("/caseworker/conduct/", {})
    assert "You need to accept the code of conduct" in refused.content.decode()
    client.post("/caseworker/conduct/", {"accept": "on"})
    assert client.get("/caseworker/").status_code == 200


def test_someone_who_is_not_staff_gets_a_404(client: Client, db) -> None:
    user = get_user_model().objects.create_user("plain", "plain@example.org", "a-password-123!")
    client.force_login(user)
    # A plain user has no MFA: the middleware asks for it first; with it, still no staff pages.
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    assert client.get("/caseworker/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/caseworker/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_repeated_failed_logins_are_slowed_down_without_saying_if_the_account_exists(
    caseworker, other_caseworker, settings
) -> None:
    del settings.ACCOUNT_RATE_LIMITS  # allauth's defaults, as in production
    client = Client(REMOTE_ADDR="192.0.2.77")
    statuses = []
    for _ in range(12):
        response = client.post(
            "/accounts/login/", {"login": caseworker.user.email, "password": "wrong password"}
        )
        statuses.append(response.status_code)
    assert 429 in statuses or "Too many failed login attempts" in response.content.decode()
    unknown = Client(REMOTE_ADDR="192.0.2.78").post(
        "/accounts/login/", {"login": "nobody@example.org", "password": "wrong password"}
    )
    known = Client(REMOTE_ADDR="192.0.2.79").post(
        "/accounts/login/", {"login": other_caseworker.user.email, "password": "wrong password"}
    )
    # The same answer whether or not the address has an account.
    assert unknown.status_code == known.status_code == 200
    assert (
        "The email address and/or password you specified are not correct."
        in unknown.content.decode()
    )
    assert (
        "The email address and/or password you specified are not correct." in known.content.decode()
    )


def test_staff_sessions_end_after_30_minutes_idle_and_at_browser_close(
    client: Client, caseworker, settings
) -> None:
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # The 30 minutes restart with every request, written at most once a minute (next test).
    assert settings.SESSION_REFRESH_SECONDS == 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    sign_in(client, caseworker)
    assert client.get("/caseworker/").status_code == 200
    cookie = client.cookies["sessionid"]
    assert not cookie["max-age"]  # a browser-session cookie: gone when the browser closes
    expires = Session.objects.get(session_key=cookie.value).expire_date
    assert timedelta(minutes=29) < expires - timezone.now() <= timedelta(minutes=30)
    # Thirty-one minutes later, nothing is open any more.
    Session.objects.filter(session_key=cookie.value).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    response = client.get("/caseworker/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_active_staff_session_is_kept_alive_but_not_written_on_every_request(
    client: Client, caseworker
) -> None:
    """portal/sessions.py: each request restarts the 30 minutes, but a session that did not
    change is written only once its expiry has fallen more than a minute behind, never later
    than 30 minutes after the last request (docs/performance.md, issue 16)."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    sign_in(client, caseworker)
    key = client.cookies["sessionid"].value
    assert client.get("/caseworker/").status_code == 200

    def expiry() -> timedelta:
        return Session.objects.get(session_key=key).expire_date - timezone.now()

    def session_writes(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return sum('UPDATE "django_session"' in query["sql"] for query in captured)

    # Written less than a minute ago: not written again; the session still ends 29 to 30
    # minutes from now.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=29, seconds=30)
    )
    assert session_writes("/caseworker/") == 0
    assert session_writes("/caseworker/conduct/") == 0
    assert timedelta(minutes=29) < expiry() <= timedelta(minutes=30)
    # Written two minutes ago: the request writes it, and it ends 30 minutes from now.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=28)
    )
    assert session_writes("/caseworker/") == 1
    assert timedelta(minutes=29, seconds=50) < expiry() <= timedelta(minutes=30)
    # And signing out still ends it at once.
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/caseworker/").status_code == 302
