"""Issue 19, the survivor's side, walked in Chromium as a person would: in English and Arabic,
with JavaScript on and off, on a 360 px phone and a 1280 px screen where layout matters.
tests/intake/test_journey.py checks the same through the test client; the routing of an untouched
reply language with a real worker is in tests/routing/test_reply_language_browser.py."""

import contextlib
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Error as PlaywrightError

from intake.key_sessions import COOKIE_NAME, _cache_key
from intake.models import Case, Message
from tests.intake.test_intake_browser import give_consent
from tests.test_accessibility import violations

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
WORDS = {"en": "They came to the house at night", "ar": "جاؤوا إلى البيت ليلًا"}
LANGS = ["en", "ar"]
JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def share(page: Any, session: Any, lang: str, words: str) -> str:
    """The whole form, from the safety check to the receipt; returns the receipt."""
    page.goto(session.url(f"/{lang}/intake/"))
    page.click("main a.button")
    give_consent(page)
    page.fill("#id_account-narrative", words)
    page.click("form button[type=submit]:not([formaction])")
    page.click("form button[type=submit]:not([formaction])")
    return page.locator("#receipt-code").inner_text().strip()


def settled_content(page: Any) -> str:
    """The page's HTML once no navigation is under way (a reload may still be arriving)."""
    for _ in range(40):
        try:
            page.wait_for_load_state("load")
            return page.content()
        except PlaywrightError:
            page.wait_for_timeout(250)
    return page.content()


@JS
@pytest.mark.parametrize("lang", LANGS)
def test_back_then_reload_after_send_shows_only_that_it_was_sent(
    browser, service_keys, lang: str, javascript: bool
) -> None:
    with translation.override(lang):
        already_sent = gettext("This was already sent")
    session = browser(javascript=javascript, **PHONE)
    page = session.new_page()
    share(page, session, lang, WORDS[lang])
    assert page.title() == settings.SITE_NAME
    seen = []
    # Back through the review, account and consent pages, reloading each, as a person would
    # after "Confirm Form Resubmission".
    for _ in range(3):
        # Chromium first shows its "Confirm Form Resubmission" page (ERR_CACHE_MISS); Reload
        # sends the form again once that page is in place.
        with contextlib.suppress(PlaywrightError):
            page.go_back(wait_until="commit")
        for _ in range(20):
            try:
                page.reload()
                break
            except PlaywrightError:
                page.wait_for_timeout(250)
        html = settled_content(page)
        seen.append((page.url, WORDS[lang] in html, 'name="account-narrative"' in html))
        if "/review/" in page.url or "/account/" in page.url:
            # Sent again to the server, which said only that it was sent.
            assert page.locator("main h1").inner_text() == already_sent
        assert page.title() == settings.SITE_NAME
    assert [(url, words, form) for url, words, form in seen if words or form] == []
    assert [url.rsplit("/", 2)[-2] for url, _, _ in seen] == ["review", "account", "consent"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_of_her_journey_is_titled_with_the_site_name(
    browser, service_keys, lang: str
) -> None:
    session = browser(**PHONE)
    page = session.new_page()
    titles = set()
    for path in ("/", "/help/", "/rights/", "/rights/glossary/", "/intake/"):
        page.goto(session.url(f"/{lang}{path}"))
        titles.add(page.title())
    receipt = share(page, session, lang, WORDS[lang])
    titles.add(page.title())
    page.goto(session.url(f"/{lang}/intake/return/"))
    page.fill("#id_receipt", receipt)
    page.click("main form button[type=submit]")
    titles.add(page.title())
    page.click(f"a[href='/{lang}/intake/my-account/withdraw/']")
    titles.add(page.title())
    assert titles == {settings.SITE_NAME}


def end_session_by_time(session: Any) -> None:
    cookie = next(c for c in session.context.cookies() if c["name"] == COOKIE_NAME)
    cache.delete(_cache_key(cookie["value"].strip('"').partition(".")[0]))


def redis_values_contain(text: str) -> bool:
    """Whether any value in the cache's Redis database holds `text` (nothing typed is stored)."""
    backend: Any = getattr(cache, "_cache", None)
    client = backend.get_client(write=True)
    needle = text.encode()
    return any(needle in (client.dump(key) or b"") for key in client.scan_iter("*"))


@JS
@pytest.mark.parametrize("lang", LANGS)
def test_a_message_typed_after_the_session_ended_is_sent_once_she_enters_her_code(
    browser, service_keys, lang: str, javascript: bool
) -> None:
    session = browser(javascript=javascript, **PHONE)
    page = session.new_page()
    receipt = share(page, session, lang, WORDS[lang])
    page.goto(session.url(f"/{lang}/intake/return/"))
    page.fill("#id_receipt", receipt)
    page.click("main form button[type=submit]")
    message_form = page.locator("form[action$='/message/']")
    # Near the box: the session ends after 15 quiet minutes.
    assert "15" in message_form.locator(".hint").inner_text()
    typed = "I thought for a long time before writing this. " + WORDS[lang]
    message_form.locator("textarea").fill(typed)
    end_session_by_time(session)  # she paused for more than 15 minutes
    message_form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    # Signed out, but what she wrote is on the page, not sent, and stored nowhere.
    assert page.locator("#id_kept-text").input_value() == typed
    if javascript:  # axe is a script (tests/test_accessibility.py checks pages without ours)
        assert violations(page) == []
    assert Message.objects.count() == 0
    assert not redis_values_contain(typed[:30])
    page.fill("#id_receipt", receipt)
    page.click("main form button[type=submit]")
    page.wait_for_url(session.url(f"/{lang}/intake/my-account/?done=sent"))
    assert page.get_by_text(typed).is_visible()
    assert Message.objects.count() == 1
    # Her message keeps its own direction on the page.
    assert page.locator("ol.messages p[dir=auto]").count() == 1


@pytest.mark.parametrize("lang", LANGS)
def test_an_account_with_nothing_filled_in_cannot_be_sent(browser, service_keys, lang: str) -> None:
    session = browser(**PHONE)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/intake/consent/"))
    give_consent(page)
    # The reply language already shows her page's language; she touches nothing.
    assert page.locator("#id_account-preferred_language").input_value() == lang
    page.click("form button[type=submit]")
    assert page.locator("main .notice").count() == 1
    page.click("form button[type=submit]:not([formaction])")
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#receipt-code").count() == 0
    assert Case.objects.count() == 0


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["360", "1280"])
@pytest.mark.parametrize("lang", LANGS)
def test_consent_boxes_come_first_one_to_a_row_with_a_44_px_target(
    browser, lang: str, size: dict
) -> None:
    session = browser(**size)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/intake/consent/"))
    assert page.locator("main .step").inner_text().strip() != ""
    page.click("form button[type=submit]")  # refused first: the rows must hold after an error
    top_and_bottom = (
        "e => [e.getBoundingClientRect().top + scrollY, e.getBoundingClientRect().bottom + scrollY]"
    )
    first, second = (
        page.locator(f"label.check[for='id_consent-{name}']").evaluate(top_and_bottom)
        for name in ("consent_store", "consent_caseworker")
    )
    assert second[0] >= first[1] - 1  # one row each, never side by side
    for name in ("consent_store", "consent_caseworker"):
        row = page.locator(f"label.check[for='id_consent-{name}']")
        row.scroll_into_view_if_needed()
        box = page.locator(f"#id_consent-{name}").bounding_box()
        text = row.locator("span").bounding_box()
        area = row.bounding_box()
        assert box
        assert text
        assert area
        assert area["height"] >= 44, name
        if lang == "ar":
            assert box["x"] > text["x"], name  # right to left: the box on the right, first
        else:
            assert box["x"] < text["x"], name
        # A tap at the far end of the sentence ticks its own box.
        end = area["x"] + 4 if lang == "ar" else area["x"] + area["width"] - 4
        page.mouse.click(end, area["y"] + area["height"] - 6)
        assert page.is_checked(f"#id_consent-{name}"), name


@pytest.mark.parametrize("lang", LANGS)
def test_the_account_page_comes_in_parts_she_can_jump_between(browser, lang: str) -> None:
    session = browser(**PHONE)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/intake/consent/"))
    give_consent(page)
    assert page.locator("main .step").count() == 1
    assert page.locator("section.part > h2").count() == 5
    bar = page.locator(".quick-exit-bar").bounding_box()
    assert bar
    page.click("a[href='#part-contact']")
    contact = page.locator("#part-contact").bounding_box()
    assert contact
    # The part's heading is in view, below the quick-exit bar that stays at the top.
    assert bar["y"] + bar["height"] <= contact["y"] < 740
    page.click("nav.parts a[href='#part-end']")
    send = page.locator("#part-end button[type=submit]").bounding_box()
    assert send
    assert bar["y"] + bar["height"] <= send["y"] < 740


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", LANGS)
def test_help_shows_the_contacts_of_the_country_she_picks(
    browser, lang: str, javascript: bool
) -> None:
    session = browser(javascript=javascript, **PHONE)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/help/"))
    page.select_option("#country", "DE")
    page.click("section[aria-labelledby=contacts] form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("section[aria-labelledby=contacts] a[href='tel:112']").is_visible()
    if javascript:  # axe is a script
        assert violations(page) == []
    assert "DE" not in page.url
    assert "country" not in page.url
    page.select_option("#country", "none")
    page.click("section[aria-labelledby=contacts] form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("section[aria-labelledby=contacts] a[href^='tel:']").count() == 0
    assert page.locator("section[aria-labelledby=contacts] .notice").is_visible()
    if javascript:
        assert violations(page) == []


@pytest.mark.parametrize(
    ("size", "javascript", "shown"),
    [(DESKTOP, True, True), (PHONE, True, False), (DESKTOP, False, False)],
    ids=["1280-js", "360-phone-js", "1280-no-js"],
)
@pytest.mark.parametrize("lang", LANGS)
def test_the_shift_key_is_mentioned_only_where_a_keyboard_is_likely(
    browser, lang: str, size: dict, javascript: bool, shown: bool
) -> None:
    session = browser(javascript=javascript, **size)
    page = session.new_page()
    page.goto(session.url(f"/{lang}/intake/"))
    hints = page.locator("[data-quick-exit-hint]")
    assert hints.count() == 2  # under the quick exit, and in the safety check
    assert [hints.nth(i).is_visible() for i in range(2)] == [shown, shown]
