"""Issue 17 in Chromium: a survivor with JavaScript off comes back with her receipt, opens her
page about documentation for justice, makes a choice and sees it kept; the statistics choice made
at intake survives the steps of the form (carried as hidden fields) and is sealed.
tests/intake/test_justice_consent.py checks the same pages through the test client; axe checks
them in tests/test_accessibility.py."""

import pytest
from django.test import Client

from intake import access, actions
from intake.models import Case, JusticeRecipient
from tests.intake.conftest import account_data, send
from tests.intake.test_intake_browser import give_consent

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_without_javascript_she_returns_and_makes_a_choice_that_is_kept(
    browser, service_keys, lang: str
) -> None:
    _, receipt = send(Client(REMOTE_ADDR="10.251.1.1"), account_data(narrative="An account."))
    assert receipt is not None
    session = browser(javascript=False)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/intake/return/"))
    page.fill("#id_receipt", receipt)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    with page.expect_navigation():
        page.click(f"main a[href='/{lang}/intake/my-account/justice/']")
    assert not page.locator("#id_share_un").is_checked()
    assert page.locator("input[name=identity][value=without]").is_checked()
    page.check("#id_share_un")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith(f"/{lang}/intake/my-account/justice/?done=saved")
    assert page.locator("main [role=status]").is_visible()
    assert page.locator("#id_share_un").is_checked()
    assert not page.locator("#id_share_icc_otp").is_checked()
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    chosen = actions.justice_consent(*opened)
    assert chosen.recipients == frozenset({JusticeRecipient.Kind.UN})
    assert chosen.language == lang
    assert not chosen.with_identity


@pytest.mark.parametrize("ticked", [True, False], ids=["ticked", "not-ticked"])
def test_the_statistics_choice_is_carried_through_the_steps(
    browser, service_keys, ticked: bool
) -> None:
    session = browser(javascript=False)
    page = session.new_page()
    page.goto(session.url("/en/intake/consent/"))
    if ticked:
        page.check("#id_consent-consent_statistics")
    give_consent(page)
    page.fill("#id_account-narrative", "Words")
    page.click("form button[type=submit]")
    page.click("form button[type=submit]:not([formaction])")
    receipt = page.locator("#receipt-code").inner_text().strip()
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    assert Case.objects.count() == 1
    assert actions.read_case(*opened).answers["consent"]["statistics"] is ticked
