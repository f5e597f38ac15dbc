"""demo_code: the sign-in code of a demo account, for trying the portal without a phone."""

import io
import json
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from intake.management.commands.demo_code import totp_url
from tests.caseworker.conftest import Persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_staff(tmp_path, settings) -> list[dict[str, Any]]:
    settings.DEBUG = True  # demo staff exist only in development
    target = tmp_path / "accounts.json"
    call_command("seed_demo", json=str(target), stdout=io.StringIO())
    settings.DEBUG = False
    return json.loads(target.read_text())


def demo_code(email: str, **options: Any) -> str:
    output = io.StringIO()
    call_command("demo_code", email, stdout=output, **options)
    return output.getvalue()


def test_it_refuses_to_print_a_code_outside_development(settings, demo_staff) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only in development"):
        demo_code(demo_staff[0]["email"])


def test_it_refuses_an_account_that_is_not_a_demo_account(settings, caseworker: Persona) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError, match="not a demo account"):
        demo_code(caseworker.user.email)


def test_the_printed_code_signs_the_demo_account_in(settings, demo_staff, client: Client) -> None:
    settings.DEBUG = True
    amina = next(a for a in demo_staff if a["email"] == "amina@demo.invalid")
    response = client.post(
        "/accounts/login/", {"login": amina["email"], "password": amina["password"]}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    printed = demo_code(amina["email"].upper())  # typed as it comes
    code = re.search(r"^Sign-in code for amina@demo\.invalid: (\d{6})$", printed, re.M)
    assert code, printed
    response = client.post(response["Location"], {"code": code.group(1)})
    assert response.status_code == 302
    assert not response["Location"].startswith("/accounts/")
    assert client.get("/caseworker/").status_code == 200


def test_it_draws_the_account_for_an_authenticator_app(settings, demo_staff) -> None:
    settings.DEBUG = True
    printed = demo_code("olena@demo.invalid", qr=True)
    assert printed.count("\n") > 20  # the code, then the QR code drawn in blocks
    olena = next(a for a in demo_staff if a["email"] == "olena@demo.invalid")
    url = totp_url(olena["email"], olena["totp_secret"])
    assert url.startswith("otpauth://totp/")
    assert f"secret={olena['totp_secret']}" in url
