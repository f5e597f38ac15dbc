"""Chromium loads the home page in English and Arabic, and the quick exit works."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("ar", "rtl")])
@pytest.mark.parametrize("javascript", [True, False])
def test_the_home_page_loads_with_no_request_to_another_host(
    browser, lang, direction, javascript
) -> None:
    session = browser(javascript=javascript)
    page = session.new_page()
    response = page.goto(session.url(f"/{lang}/"))
    assert response.status == 200
    assert page.locator("html").get_attribute("dir") == direction
    assert page.locator("h1").is_visible()
    quick_exit = page.locator("[data-quick-exit]")
    assert quick_exit.is_visible()
    # The quick exit is at the top of the screen (the first thing a thumb reaches).
    assert quick_exit.bounding_box()["y"] < 60
    # The stylesheet and the script came from the test server (no other host; checked by the
    # fixture when the test ends).
    assert any(url.endswith("/static/css/portal.css") for url in session.requests)


def test_the_quick_exit_link_leaves_without_javascript(browser) -> None:
    session = browser(javascript=False)
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    page.goto(session.url("/en/help/"))
    page.click("[data-quick-exit]")
    page.wait_for_url(settings.QUICK_EXIT_URL)


def test_the_quick_exit_button_replaces_the_history_entry(browser) -> None:
    session = browser()
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    page.goto(session.url("/en/help/"))
    page.goto(session.url("/en/"))
    page.click("[data-quick-exit]")
    page.wait_for_url(settings.QUICK_EXIT_URL)
    # Back skips the page the survivor left from: it was replaced, not added to.
    page.go_back()
    assert page.url == session.url("/en/help/")


def test_pressing_shift_three_times_leaves(browser) -> None:
    session = browser()
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    page.goto(session.url("/ar/"))
    assert page.locator("[data-quick-exit-hint]").is_visible()
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(settings.QUICK_EXIT_URL)


def test_typing_capital_letters_does_not_trigger_the_quick_exit(browser) -> None:
    session = browser()
    page = session.new_page()
    page.goto(session.url("/en/"))
    # Shift, then a letter, three times: what typing "A B C" does. Only Shift in a row counts.
    for letter in "ABC":
        page.keyboard.press(f"Shift+{letter}")
    page.wait_for_timeout(300)
    assert page.url == session.url("/en/")


def test_the_quick_exit_is_reachable_first_by_keyboard(browser) -> None:
    session = browser()
    page = session.new_page()
    page.goto(session.url("/en/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.hasAttribute('data-quick-exit')")
