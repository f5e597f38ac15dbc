"""In Chromium: a caseworker signs in with a password and a TOTP code, opens a case and replies;
the survivor reads the reply with their receipt."""

import pytest
from django.test import Client

from intake.models import Case
from tests.caseworker.conftest import enter_totp_code, make_persona
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.browser


def test_a_caseworker_replies_and_the_survivor_reads_it(browser, service_keys) -> None:
    caseworker = make_persona("browser-caseworker@example.org", languages=["ar"])
    _, receipt = send(Client(), account_data(narrative="Please help me find a lawyer."))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)

    staff_session = browser(viewport={"width": 1200, "height": 900})
    staff = staff_session.new_page()
    staff.goto(staff_session.url("/accounts/login/"))
    staff.fill("input[name=login]", caseworker.user.email)
    staff.fill("input[name=password]", caseworker.password)
    staff.click("form button[type=submit]")
    staff.wait_for_url("**/accounts/2fa/authenticate/")
    enter_totp_code(staff, caseworker)
    staff.goto(staff_session.url("/caseworker/"))
    staff.click(f"a[href='/caseworker/cases/{case.public_id}/']")
    # The account is folded until the caseworker asks for it (issue 19).
    assert not staff.get_by_text("Please help me find a lawyer.").is_visible()
    staff.click("text=Show the account")
    assert staff.get_by_text("Please help me find a lawyer.").is_visible()
    with staff.expect_navigation():
        staff.click("button:has-text('Acknowledge')")
    staff.fill("textarea[name=text]", "A lawyer who speaks Arabic can call you on Tuesday.")
    staff.click("text=Send to the survivor")
    assert staff.get_by_text("A lawyer who speaks Arabic").is_visible()

    survivor_session = browser(javascript=False)
    survivor = survivor_session.new_page()
    survivor.goto(survivor_session.url("/ar/intake/return/"))
    survivor.fill("#id_receipt", receipt)
    survivor.click("form button[type=submit]")
    assert survivor.get_by_text("A lawyer who speaks Arabic can call you on Tuesday.").is_visible()
    assert survivor.locator(".status-acknowledged").is_visible()
