"""Issue 7: the whole intake path and the quick exit with the keyboard alone, in Chromium.

Only `page.keyboard` moves focus and activates things (Tab, Shift+Tab, Space, Enter, arrow keys);
text is typed into whatever field has focus. `page.goto` stands for typing an address. Every
element that takes focus must show it: its outline or shadow differs from its unfocused look, is
at least 2 px, and nothing (the sticky quick-exit bar) covers it.
"""

from typing import Any

import pytest
from django.conf import settings

from intake.models import Case

pytestmark = pytest.mark.browser

FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]"

# Called on each page as it loads, while nothing has focus: how every focusable element looks
# unfocused, to compare with its look once focused.
REMEMBER_UNFOCUSED_LOOK = """selector => {
    const look = el => {
        const s = getComputedStyle(el);
        return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(" | ");
    };
    window.__look = look;
    window.__unfocused = new Map();
    for (const el of document.querySelectorAll(selector)) {
        window.__unfocused.set(el, look(el));
    }
}"""

FOCUSED_ELEMENT = """() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const x = rect.left + rect.width / 2;
    const y = rect.top + rect.height / 2;
    const onTop = document.elementFromPoint(x, y);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
    const shadow = s.boxShadow !== "none";
    return {
        description: el.outerHTML.slice(0, 90),
        changed: window.__unfocused.get(el) !== window.__look(el),
        indicator: outline || shadow,
        onScreen: rect.bottom > 0 && rect.top < innerHeight
            && rect.right > 0 && rect.left < innerWidth,
        uncovered: onTop !== null && (el.contains(onTop) || onTop.contains(el)),
    };
}"""


class KeyboardWalk:
    """Moves through pages with the keyboard, checking the focus indicator at every stop."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.faults: list[str] = []

    def arrive(self) -> None:
        self.page.wait_for_load_state("load")
        self.page.evaluate(REMEMBER_UNFOCUSED_LOOK, FOCUSABLE)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.check_focus()

    def activate(self) -> None:
        """Enter on the focused element; it may leave the page, so focus is not checked here."""
        self.page.keyboard.press("Enter")

    def check_focus(self) -> None:
        focused = self.page.evaluate(FOCUSED_ELEMENT)
        problems = [
            name for name in ("changed", "indicator", "onScreen", "uncovered") if not focused[name]
        ]
        if problems:
            self.faults.append(f"{self.page.url} {focused['description']}: not {problems}")

    def focused_matches(self, selector: str) -> bool:
        return bool(self.page.evaluate("s => document.activeElement.matches(s)", selector))

    def tab_to(self, selector: str, limit: int = 150) -> None:
        if self.focused_matches(selector):
            return
        for _ in range(limit):
            self.press("Tab")
            if self.focused_matches(selector):
                return
        raise AssertionError(f"{selector} not reached with {limit} Tab presses on {self.page.url}")

    def enter_page_past_quick_exit(self) -> None:
        """The first two Tab stops of every survivor page: the skip link, then the quick exit."""
        self.press("Tab")
        assert self.focused_matches("a.skip-link[href='#main']"), self.page.url
        self.press("Tab")
        assert self.focused_matches("[data-quick-exit]"), self.page.url


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_intake_path_with_the_keyboard_alone(
    browser, service_keys, lang: str, javascript: bool
) -> None:
    session = browser(javascript=javascript)
    page = session.new_page()
    walk = KeyboardWalk(page)
    page.goto(session.url(f"/{lang}/intake/"))
    walk.arrive()

    # The skip link appears on focus and takes focus to the main content, past the header.
    walk.press("Tab")
    assert walk.focused_matches("a.skip-link")
    walk.activate()
    assert page.evaluate("document.activeElement.id") == "main"
    walk.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")

    # Start: "Continue" is a link; Enter follows it.
    walk.tab_to("main a.button")
    walk.activate()
    page.wait_for_url(f"**/{lang}/intake/consent/")
    walk.arrive()

    # Consent: Space ticks the boxes; the arrow keys move within the age group and choose.
    walk.enter_page_past_quick_exit()
    walk.tab_to("#id_consent-consent_store")
    walk.press("Space")
    walk.tab_to("#id_consent-consent_caseworker")
    walk.press("Space")
    walk.tab_to("input[name='consent-age_group']")
    walk.press("ArrowDown")
    walk.press("ArrowUp")
    assert page.evaluate("document.activeElement.value") == "adult"
    assert page.is_checked("input[name='consent-age_group'][value='adult']")
    assert page.is_checked("#id_consent-consent_store")
    assert page.is_checked("#id_consent-consent_caseworker")
    walk.tab_to("form button[type=submit]")
    walk.activate()
    page.wait_for_url(f"**/{lang}/intake/account/")
    walk.arrive()

    # The account: a text typed into the focused field, one choice ticked.
    walk.enter_page_past_quick_exit()
    walk.tab_to("#id_account-narrative")
    page.keyboard.type("Typed with the keyboard only.")
    walk.tab_to("input[name='account-harms'][value='threats']")
    walk.press("Space")
    walk.tab_to("form button[type=submit]")
    walk.activate()
    page.wait_for_url(f"**/{lang}/intake/review/")
    walk.arrive()

    # Review: the answers came through. Tab past "Send", then Shift+Tab back to it.
    summary = page.locator(".summary").inner_text()
    assert "Typed with the keyboard only." in summary
    walk.enter_page_past_quick_exit()
    walk.tab_to("form button[type=submit]:not([formaction])")
    walk.press("Tab")
    walk.press("Shift+Tab")
    assert walk.focused_matches("form button[type=submit]:not([formaction])")
    walk.activate()
    page.wait_for_url(f"**/{lang}/intake/send/")
    walk.arrive()

    # The receipt, and the account is stored.
    assert page.locator("#receipt-code").is_visible()
    assert Case.objects.count() == 1
    walk.enter_page_past_quick_exit()
    walk.tab_to(f"main a[href='/{lang}/intake/return/']")

    assert walk.faults == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_quick_exit_by_keyboard_leaves_the_site(browser, lang: str, javascript: bool) -> None:
    session = browser(javascript=javascript)
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/help/"))
    # Half-way through an account: the moment someone may walk in.
    page.goto(session.url(f"/{lang}/intake/consent/"))
    walk = KeyboardWalk(page)
    walk.arrive()
    walk.enter_page_past_quick_exit()
    walk.activate()
    page.wait_for_url(settings.QUICK_EXIT_URL)
    page.go_back()
    if javascript:
        # The script replaced the history entry: Back skips the intake page.
        assert page.url == session.url(f"/{lang}/help/")
    else:
        # A plain link adds to the history (the help page says leaving does not clear it).
        assert page.url == session.url(f"/{lang}/intake/consent/")
    assert walk.faults == []
