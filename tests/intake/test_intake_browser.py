"""The survivor's whole path in Chromium, in English and Arabic, with JavaScript on and off."""

import pytest

from intake.models import Case
from tests.intake.conftest import PNG

pytestmark = pytest.mark.browser

EASTERN_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def give_consent(page, age_group: str = "adult") -> None:
    """Tick both consent boxes, choose an age group, and go on to the account form."""
    page.check("#id_consent-consent_store")
    page.check("#id_consent-consent_caseworker")
    page.check(f"input[name='consent-age_group'][value='{age_group}']")
    page.click("form button[type=submit]")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_share_an_account_come_back_and_withdraw(
    browser, service_keys, tmp_path, lang: str, javascript: bool
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    session = browser(javascript=javascript)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/intake/"))
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    page.click("main a.button")

    give_consent(page)

    # The account: a few answers, the rest left empty.
    page.fill("#id_account-narrative", "Words typed in the browser <b>not bold</b>")
    page.check("input[name='account-harms'][value='threats']")
    page.check("#id_account-in_danger")
    page.select_option("#id_account-preferred_language", "ar")
    page.click("form button[type=submit]")

    # Review: the answers are shown as text, emergency guidance is there; add a photo and send.
    assert page.locator(".summary").inner_text().count("<b>not bold</b>") == 1
    assert page.locator(".danger-guidance").is_visible()
    page.set_input_files("#attachments", str(photo))
    page.click("form button[type=submit]:not([formaction])")

    receipt = page.locator("#receipt-code").inner_text().strip()
    assert len(receipt.replace(" ", "")) == 20
    case = Case.objects.get()
    assert case.urgent
    assert case.attachments.count() == 1
    if javascript:
        assert page.locator("[data-print]").is_visible()

    # Come back, typing the code as an Arabic keyboard would.
    page.goto(session.url(f"/{lang}/intake/return/"))
    typed = receipt.translate(EASTERN_ARABIC) if lang == "ar" else receipt
    page.fill("#id_receipt", typed)
    page.click("form button[type=submit]")
    assert page.locator(".status-received").is_visible()
    assert page.get_by_text("photo.png").is_visible()

    # Withdraw: a confirmation first, then everything is gone.
    page.click(f"a[href='/{lang}/intake/my-account/withdraw/']")
    page.check("#id_confirm")
    # Wait for the answer page itself: is_visible() does not wait, and a busy machine can still
    # be between the two pages when it is asked.
    with page.expect_navigation():
        page.click("form button.danger")
    assert page.locator("h1").is_visible()
    assert Case.objects.count() == 0


def test_the_receipt_is_not_kept_by_the_browser(browser, service_keys) -> None:
    session = browser()
    page = session.new_page()
    page.goto(session.url("/en/intake/consent/"))
    give_consent(page, "unsaid")
    page.fill("#id_account-country", "Somewhere")  # an account with nothing in it is not sent
    page.click("form button[type=submit]")
    response = page.expect_navigation
    with response() as navigation:
        page.click("form button[type=submit]:not([formaction])")
    assert "no-store" in navigation.value.headers["cache-control"]
    receipt = page.locator("#receipt-code").inner_text().replace(" ", "")
    cookies = session.context.cookies()
    assert all(receipt not in cookie["value"] for cookie in cookies)
    assert receipt not in page.url


def test_ticking_in_danger_shows_the_guidance_at_once(browser) -> None:
    session = browser()
    page = session.new_page()
    page.goto(session.url("/en/intake/consent/"))
    give_consent(page)
    guidance = page.locator(".danger-details .danger-guidance")
    assert not guidance.is_visible()
    page.check("#id_account-in_danger")
    assert guidance.is_visible()
