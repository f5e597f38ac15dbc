"""Files over the limits, in Chromium. With JavaScript the review page warns before sending and
holds the sending back (static/js/upload-limits.js); the page Caddy answers a body over its limit
with (deploy/errors/, made by `manage.py build_error_pages`) leads back to the form, with what was
typed still in it."""

from pathlib import Path

import pytest
from django.conf import settings

from intake.models import Case
from tests.intake.conftest import PNG
from tests.intake.test_intake_browser import give_consent

pytestmark = pytest.mark.browser

ERROR_PAGES = Path(settings.BASE_DIR) / "deploy" / "errors"


def reach_review(session, page, narrative: str, lang: str = "en") -> None:
    page.goto(session.url(f"/{lang}/intake/consent/"))
    give_consent(page)
    page.fill("#id_account-narrative", narrative)
    page.click("form button[type=submit]")
    assert page.locator("#attachments").is_visible()


def sized_file(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no room on disk (the browser reads only its size here)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_the_review_page_warns_before_sending_files_over_the_limits(
    browser, service_keys, tmp_path
) -> None:
    session = browser()
    page = session.new_page()
    reach_review(session, page, "my words stay")
    warning = page.locator("#files-limits")
    assert warning.is_hidden()
    limit = settings.INTAKE_MAX_FILE_BYTES
    script = page.locator("script[data-upload-limits]")
    assert script.get_attribute("data-max-file-bytes") == str(limit)

    # One byte over 20 MiB: told at once, by name, and the sending is held back.
    page.set_input_files("#attachments", str(sized_file(tmp_path / "video.mp4", limit + 1)))
    assert warning.is_visible()
    assert "Each file can be up to 20 MB." in warning.inner_text()
    assert "video.mp4" in warning.inner_text()
    page.click("form button[type=submit]:not([formaction])")
    assert warning.evaluate("element => element === document.activeElement")
    assert "/intake/review/" in page.url
    assert not [url for url in session.requests if "/intake/send/" in url]

    # Six files: too many. Exactly 20 MiB is allowed.
    six = [sized_file(tmp_path / f"photo-{n}.png", 1000) for n in range(6)]
    page.set_input_files("#attachments", [str(path) for path in six])
    assert "You can send up to 5 files at a time." in warning.inner_text()
    assert "Each file can be up to 20 MB." not in warning.inner_text()
    page.set_input_files("#attachments", str(sized_file(tmp_path / "exact.pdf", limit)))
    assert warning.is_hidden()

    # "Remove the chosen files" empties the choice; then a file within the limits is sent.
    page.set_input_files("#attachments", str(tmp_path / "video.mp4"))
    page.get_by_role("button", name="Remove the chosen files").click()
    assert warning.is_hidden()
    assert page.locator("#attachments").evaluate("input => input.files.length") == 0
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    page.set_input_files("#attachments", str(photo))
    page.click("form button[type=submit]:not([formaction])")
    assert page.locator("#receipt-code").is_visible()
    assert Case.objects.get().attachments.count() == 1


def test_change_my_answers_is_not_held_back(browser, service_keys, tmp_path) -> None:
    session = browser()
    page = session.new_page()
    reach_review(session, page, "to be changed")
    page.set_input_files("#attachments", str(sized_file(tmp_path / "big.mp4", 30_000_000)))
    page.click("form button[formaction]")
    assert page.locator("#id_account-narrative").input_value() == "to be changed"


def test_without_javascript_nothing_is_added(browser, service_keys) -> None:
    session = browser(javascript=False)
    page = session.new_page()
    reach_review(session, page, "no script")
    assert page.locator("#files-limits").count() == 0


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_caddys_page_for_a_body_over_its_limit_leads_back_to_the_form(
    browser, service_keys, tmp_path, lang: str
) -> None:
    """As Caddy answers (deploy/Caddyfile): the request to send is answered with the page for the
    path's language, status 413 (make deploy-check sees Caddy itself do it)."""
    session = browser()
    page = session.new_page()
    # Caddy's templates handler puts the site's name in the title (deploy/Caddyfile).
    body = (ERROR_PAGES / f"413.{lang}.html").read_text(encoding="utf-8")
    body = body.replace('{{env "SITE_NAME" | html}}', settings.SITE_NAME)
    page.route(
        f"**/{lang}/intake/send/",
        lambda route: route.fulfill(status=413, content_type="text/html; charset=utf-8", body=body),
    )
    reach_review(session, page, "typed before the files", lang=lang)
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    page.set_input_files("#attachments", str(photo))
    page.click("form button[type=submit]:not([formaction])")
    # Caddy's page, up to its load event, so its style sheet is applied (computed styles are
    # read below; read before it, the quick exit was once still unstyled on a busy machine).
    page.wait_for_url(f"**/{lang}/intake/send/", wait_until="load")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "fa" else "ltr")
    assert page.locator("h1").count() == 1
    assert page.title() == settings.SITE_NAME  # as on every survivor page: history says nothing
    # The portal's own style sheet and quick-exit script work on it (the script shows the hint).
    assert page.locator(".quick-exit").evaluate("e => getComputedStyle(e).fontWeight") == "700"
    assert page.locator("[data-quick-exit-hint]").is_visible()
    # Back, as the page says: the review page, with what she typed.
    page.go_back()
    assert "/intake/review/" in page.url
    assert page.locator("#id_account-narrative").get_attribute("value") == "typed before the files"
    assert Case.objects.count() == 0
