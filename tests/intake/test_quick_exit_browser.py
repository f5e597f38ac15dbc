"""A seized phone (issue 12): after the quick exit, Back and reload show nothing of the account.

Chromium, with JavaScript on and off: a survivor comes back with her receipt, reads a reply,
sends a message (a second page of her account in the history), then presses the quick exit. Back,
reload, and Back again, as far as the history goes: no page shows anything of her account.

Playwright turns Chromium's back-forward cache off; the last tests launch a Chromium of their own
with it on, and with pages sent `Cache-Control: no-store` allowed into it (as Chromium is rolling
out), so that Back could show the page as it was without asking the server. Chromium then still
drops such a page when an HttpOnly cookie changed after it loaded, and Django sets its (HttpOnly)
CSRF cookie again with every form, which alone would keep account pages out of that cache; these
tests make the CSRF cookie readable by scripts, so that only what the quick exit does stands
between Back and the page as it was.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from intake import access, actions
from intake.key_sessions import COOKIE_NAME, _cache_key
from intake.models import Case
from tests.conftest import CHROMIUM, BrowserSession
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.browser

REPLY = "A reply meant for her eyes only"
HER_MESSAGE = "Thank you, I will write again"
# What her account pages show, and what a page after the quick exit must not: her words, her
# caseworker's, the account's heading, and "you were signed out" (which says there was one).
ACCOUNT_MARKERS = (REPLY, HER_MESSAGE, "What you shared", "signed out")


def an_account_with_a_reply() -> str:
    """Send an account as a survivor would, and a caseworker's reply to it; returns the receipt."""
    _, receipt = send(Client(REMOTE_ADDR="10.20.30.40"), account_data(narrative="what happened"))
    assert receipt
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    actions.send_message_to_survivor(Case.objects.get(), opened[1], REPLY)
    return receipt


def come_back_and_write(page: Any, session: BrowserSession, receipt: str) -> None:
    page.goto(session.url("/en/intake/return/"))
    page.fill("#id_receipt", receipt)
    page.click("main form button[type=submit]")
    page.wait_for_url(session.url("/en/intake/my-account/"))
    assert page.get_by_text(REPLY).is_visible()
    page.locator("form[action$='/message/'] textarea").fill(HER_MESSAGE)
    page.click("form[action$='/message/'] button[type=submit]")
    page.wait_for_url(session.url("/en/intake/my-account/?done=sent"))
    assert page.get_by_text(HER_MESSAGE).is_visible()


def session_token(session: BrowserSession) -> str:
    """The token half of the survivor's session cookie, which names her cache entry."""
    cookie = next(c for c in session.context.cookies() if c["name"] == COOKIE_NAME)
    # Django quotes the value (its base64 half ends in "=").
    token = cookie["value"].strip('"').partition(".")[0]
    assert cache.get(_cache_key(token)) is not None
    return token


def press_the_quick_exit(page: Any, *, shift: bool = False) -> None:
    if shift:
        for _ in range(3):
            page.keyboard.press("Shift")
    else:
        page.click("[data-quick-exit]")
    page.wait_for_url(settings.QUICK_EXIT_URL)


def nothing_of_the_account(page: Any) -> list[str]:
    """The account markers this page shows ([] when it shows none)."""
    # Until nothing more loads: a page from the back-forward cache may ask the server again.
    page.wait_for_load_state("networkidle")
    html = page.content()
    return [marker for marker in ACCOUNT_MARKERS if marker in html]


def requests_for(session: BrowserSession, path: str) -> int:
    return sum(1 for url in session.requests if urlsplit(url).path == path)


def walk_back_through_history(page: Any, session: BrowserSession) -> tuple[list[str], bool]:
    """Back and reload, again and again until the history ends: every account marker seen on the
    way, with the address it was seen at; and whether her account's address was asked of the
    server again on the way (Back did go through her account's pages)."""
    seen = []
    account_requests = requests_for(session, "/en/intake/my-account/")
    for _ in range(8):
        # "commit": a page restored from the back-forward cache fires no new load event.
        if page.go_back(wait_until="commit") is None:
            break  # the start of the history (or the empty page before it)
        seen += [f"back {page.url}: {marker}" for marker in nothing_of_the_account(page)]
        page.reload()
        seen += [f"reload {page.url}: {marker}" for marker in nothing_of_the_account(page)]
    return seen, requests_for(session, "/en/intake/my-account/") > account_requests


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_after_the_quick_exit_back_and_reload_show_nothing_of_the_account(
    browser, service_keys, javascript: bool
) -> None:
    receipt = an_account_with_a_reply()
    session = browser(javascript=javascript)
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    come_back_and_write(page, session, receipt)
    token = session_token(session)
    press_the_quick_exit(page)
    cookies_after_the_exit = session.context.cookies(session.base_url)
    assert walk_back_through_history(page, session) == ([], True)
    # The session ended on the server, and the browser kept no cookie of this site.
    assert cache.get(_cache_key(token)) is None
    assert cookies_after_the_exit == []


def test_shift_three_times_also_ends_the_session(browser, service_keys) -> None:
    receipt = an_account_with_a_reply()
    session = browser()
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    come_back_and_write(page, session, receipt)
    press_the_quick_exit(page, shift=True)
    cookies_after_the_exit = session.context.cookies(session.base_url)
    assert walk_back_through_history(page, session) == ([], True)
    assert cookies_after_the_exit == []


# --- With the back-forward cache on ----------------------------------------------------------


@pytest.fixture
def bfcache_browser(
    chromium: Any, live_server: Any, transactional_db: None, settings: Any, neutral_site: str
) -> Iterator[Any]:
    """Open sessions in a Chromium whose back-forward cache keeps no-store pages and restores
    them unless an HttpOnly cookie changed (the most lenient of Chromium's levels)."""
    settings.QUICK_EXIT_URL = neutral_site
    # The CSRF cookie, set again with every form, would otherwise keep every account page out of
    # the back-forward cache by itself (see the module's docstring).
    settings.CSRF_COOKIE_HTTPONLY = False
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        ignore_default_args=["--disable-back-forward-cache"],
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--enable-features=CacheControlNoStoreEnterBackForwardCache:"
            "level/restore-unless-http-only-cookie-change",
        ],
    )
    sessions: list[BrowserSession] = []

    def open_session(*, javascript: bool) -> BrowserSession:
        context = browser.new_context(java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        session = BrowserSession(
            context, live_server.url, allowed_hosts={urlsplit(live_server.url).netloc}
        )
        context.on("request", lambda request: session.requests.append(request.url))
        sessions.append(session)
        return session

    yield open_session
    foreign = [url for session in sessions for url in session.foreign_requests()]
    browser.close()
    assert foreign == []


def restored_without_asking(page: Any, session: BrowserSession, path: str) -> bool:
    """Go Back; True if the page came from the back-forward cache (no request reached it)."""
    before = requests_for(session, path)
    page.go_back(wait_until="commit")
    page.wait_for_load_state("networkidle")
    return requests_for(session, path) == before


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_back_forward_cache_does_not_bring_the_account_back(
    bfcache_browser, service_keys, javascript: bool
) -> None:
    receipt = an_account_with_a_reply()
    session = bfcache_browser(javascript=javascript)
    session.stub_external_site(settings.QUICK_EXIT_URL)
    page = session.new_page()
    come_back_and_write(page, session, receipt)

    # This Chromium does keep her account page: to the help page and Back, and it is shown as it
    # was, without a request to the server.
    page.click("a[href='/en/help/']")
    page.wait_for_url(session.url("/en/help/"))
    if not javascript:
        assert restored_without_asking(page, session, "/en/intake/my-account/")
        assert page.get_by_text(HER_MESSAGE).is_visible()
    else:
        # With JavaScript the page asks the server again at once (quick-exit.js), the session
        # still holds, and it is her account again.
        page.go_back(wait_until="commit")
        page.wait_for_url(session.url("/en/intake/my-account/"))
        assert page.get_by_text(REPLY).is_visible()

    press_the_quick_exit(page)
    assert walk_back_through_history(page, session) == ([], True)


def test_an_account_page_from_the_back_forward_cache_is_asked_for_again(
    bfcache_browser, service_keys
) -> None:
    """With JavaScript, a page of her account brought back from the cache is not shown as it
    was: the server is asked, and says whether the session still holds (here it timed out)."""
    receipt = an_account_with_a_reply()
    session = bfcache_browser(javascript=True)
    page = session.new_page()
    come_back_and_write(page, session, receipt)
    token = session_token(session)
    page.click("a[href='/en/help/']")
    page.wait_for_url(session.url("/en/help/"))
    # Fifteen minutes without activity: the server forgets the session; the cookie stays.
    cache.delete(_cache_key(token))
    page.go_back(wait_until="commit")
    page.wait_for_url(session.url("/en/intake/return/?expired=1"))
    assert page.get_by_text(REPLY).count() == 0
