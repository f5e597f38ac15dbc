"""Issue 5 in Chromium: a staff member adds a security key (a virtual FIDO2 authenticator driven
through the DevTools protocol), signs in with it instead of the TOTP code, and is shown the
recovery codes exactly once."""

from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from tests.caseworker.conftest import Persona, enter_totp_code, make_persona
from tests.test_accessibility import violations

pytestmark = pytest.mark.browser

# A USB security key with a PIN (user verification) and room for resident credentials: what a
# staff member would plug in. The live server is http://localhost:<port>, a secure context for
# the browser and an origin python-fido2 accepts for the relying party "localhost".
VIRTUAL_KEY = {
    "protocol": "ctap2",
    "transport": "usb",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def add_virtual_key(page: Any) -> tuple[Any, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_KEY})
    return cdp, authenticator["authenticatorId"]


def credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def sign_in_with_password(page: Any, session: Any, persona: Persona) -> None:
    page.goto(session.url("/accounts/login/"))
    page.fill("input[name=login]", persona.user.email)
    page.fill("input[name=password]", persona.password)
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")


def test_a_security_key_replaces_the_code_and_recovery_codes_show_once(browser) -> None:
    persona = make_persona("key-holder@example.org", languages=["en"])
    session = browser(viewport={"width": 1200, "height": 900})
    page = session.new_page()
    cdp, key = add_virtual_key(page)
    found: dict[str, list[str]] = {}

    # Signed in the usual way first: password, then the authenticator app's code.
    sign_in_with_password(page, session, persona)
    enter_totp_code(page, persona)
    page.goto(session.url("/accounts/2fa/"))
    found["MFA overview"] = violations(page)

    # Add the key: the browser asks the authenticator, the page posts the new credential.
    # Changing the second factor asks for the password again first (allauth's reauthentication).
    page.goto(session.url("/accounts/2fa/webauthn/add/"))
    page.wait_for_url("**/accounts/reauthenticate/**")
    found["confirm access"] = violations(page)
    page.fill("input[name=password]", persona.password)
    page.click("main form button[type=submit]")  # not the header's "Sign out"
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    found["add a security key"] = violations(page)
    page.fill("input[name=name]", "Blue key")
    page.click("#mfa_webauthn_add")

    # Adding the first key made recovery codes; they are on the page the browser lands on.
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    found["recovery codes, first view"] = violations(page)
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    assert all(code.isdigit() and len(code) == 8 for code in codes)
    page.check("#codes_saved")
    assert len(credentials(cdp, key)) == 1
    keys = Authenticator.objects.filter(user=persona.user, type=Authenticator.Type.WEBAUTHN)
    assert [authenticator.wrap().name for authenticator in keys] == ["Blue key"]

    # Shown once: the same page, and the download, no longer give them.
    page.goto(session.url("/accounts/2fa/recovery-codes/"))
    found["recovery codes, later"] = violations(page)
    assert page.locator("#recovery_codes").count() == 0
    assert not any(code in page.content() for code in codes)
    download = page.request.get(session.url("/accounts/2fa/recovery-codes/download/"))
    assert download.status == 403
    assert not any(code in download.text() for code in codes)

    # Sign out, then in again with the password and the key (no TOTP code typed).
    page.goto(session.url("/caseworker/"))
    page.click("header form button[type=submit]")
    page.wait_for_url(lambda url: "/caseworker/" not in url)
    page.goto(session.url("/caseworker/"))
    assert "/accounts/login/" in page.url  # signed out
    uses_before = credentials(cdp, key)[0]["signCount"]
    sign_in_with_password(page, session, persona)
    found["second factor with a key"] = violations(page)
    page.click("#mfa_webauthn_authenticate")
    page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
    assert credentials(cdp, key)[0]["signCount"] > uses_before

    page.goto(session.url("/caseworker/"))
    assert page.url == session.url("/caseworker/")
    assert page.locator("header form button[type=submit]").is_visible()  # signed in
    keys = Authenticator.objects.filter(user=persona.user, type=Authenticator.Type.WEBAUTHN)
    assert keys.get().last_used_at is not None
    totp = Authenticator.objects.get(user=persona.user, type=Authenticator.Type.TOTP)
    assert totp.last_used_at is not None  # used once, for the first sign-in only

    assert {name: v for name, v in found.items() if v} == {}
