"""In Chromium, as a caseworker would (issue 19): sign in and land on the queue, find the case by
its row (reference, language, kinds of harm, "new message"), open it with the account folded,
unfold it only when choosing to, reply and change the status, each time coming back to that
section with a confirmation. In English and Arabic, with JavaScript on and off, at 1280 px; the
queue also at 360 px. A coordinator's audit log, in plain words, fits 1280 px.
"""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from intake import actions, audit
from intake.answers import HARMS
from intake.models import Case, StaffProfile
from tests.caseworker.conftest import enter_totp_code, make_persona
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send
from tests.test_accessibility import violations
from tests.test_zoom import LAYOUT_FAULTS

pytestmark = pytest.mark.browser

NARRATIVE = "They came at night and took my brother away."
MESSAGE = "هل وصلت رسالتي؟"


def sign_in(page, session, persona) -> None:
    page.goto(session.url("/accounts/login/"))
    page.fill("input[name=login]", persona.user.email)
    page.fill("input[name=password]", persona.password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    enter_totp_code(page, persona)


def layout_faults(page) -> list[str]:
    return list(page.evaluate(LAYOUT_FAULTS))


def words(lang: str) -> dict[str, str]:
    """What the pages say, in `lang`, from the catalogues the pages use."""
    harms = dict(HARMS)
    with translation.override(lang):
        return {
            "harms": translation.pgettext("separator between items of a list", ", ").join(
                [str(harms["threats"]), str(harms["detention"])]
            ),
            "language": str(translation.get_language_info("ar")["name_translated"]),
            "new": _("New message"),
            "show": _("Show the account"),
            "sent": _("Message sent."),
            "status": _("Status changed."),
            "send": _("Send to the survivor"),
            "change": _("Change status"),
            "read": _("Read the case"),
            "opened": _("Opened the case to reply"),
        }


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_caseworker_finds_and_works_a_case_reading_only_what_they_choose(
    browser, service_keys, lang: str, javascript: bool
) -> None:
    caseworker = make_persona("journey@example.org", languages=["ar"])
    send(
        Client(),
        account_data(narrative=NARRATIVE, harms=["threats", "detention"], preferred_language="ar"),
    )
    case = Case.objects.get()
    case_key = route_to(case, service_keys, caseworker.profile)
    actions.send_survivor_message(case, case_key, MESSAGE)
    # A second case, so that the row to find is one of several.
    send(Client(), account_data(narrative="Another account.", harms=["online_abuse"]))
    route_to(Case.objects.exclude(pk=case.pk).get(), service_keys, caseworker.profile)
    said = words(lang)
    ref = str(case.public_id)[:8]

    session = browser(viewport={"width": 1280, "height": 900}, locale=lang, javascript=javascript)
    page = session.new_page()
    sign_in(page, session, caseworker)
    # Straight to the queue, not the survivors' home page.
    assert page.url == session.url("/caseworker/"), page.url
    assert page.locator("html").get_attribute("lang") == lang
    row = page.locator("table.case-queue tbody tr", has_text=ref)
    assert row.count() == 1
    assert said["harms"] in row.inner_text()
    assert said["language"] in row.inner_text()
    assert said["new"] in row.inner_text()
    assert layout_faults(page) == []
    if javascript:
        assert violations(page) == []

    # On a phone the queue stacks, every cell still readable.
    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    assert layout_faults(page) == []
    assert said["harms"] in page.locator("table.case-queue tbody tr", has_text=ref).inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click(f"a[href='/caseworker/cases/{case.public_id}/']")
    # The kinds of harm are said first; the account stays folded until asked for.
    assert page.locator(".content-note").is_visible()
    assert said["harms"] in page.locator(".content-note").inner_text()
    assert not page.get_by_text(NARRATIVE).is_visible()
    page.click(f"details.account > summary:has-text('{said['show']}')")
    assert page.get_by_text(NARRATIVE).is_visible()
    assert page.locator(".narrative").get_attribute("dir") == "auto"
    assert layout_faults(page) == []
    if javascript:
        assert violations(page) == []

    # A reply: back at the messages, confirmed, the account folded again.
    page.fill("#messages textarea[name=text]", "We have read your message.")
    with page.expect_navigation():
        page.click(f"#messages button:has-text('{said['send']}')")
    assert page.url.endswith(f"/caseworker/cases/{case.public_id}/#messages"), page.url
    assert page.locator("#messages .confirmation").inner_text() == said["sent"]
    assert not page.get_by_text(NARRATIVE).is_visible()
    assert page.get_by_text("We have read your message.").is_visible()
    assert page.get_by_text(MESSAGE).get_attribute("dir") == "auto"

    # The status, from one list of status-and-reason pairs.
    page.select_option("#status select[name=reason]", "in_progress")
    with page.expect_navigation():
        page.click(f"#status button:has-text('{said['change']}')")
    assert page.url.endswith("#status"), page.url
    assert page.locator("#status .confirmation").inner_text() == said["status"]
    assert not page.get_by_text(NARRATIVE).is_visible()
    case.refresh_from_db()
    assert case.status == "in_progress"

    # Back on the queue: the reply took the "new message" mark away.
    page.goto(session.url("/caseworker/"))
    row = page.locator("table.case-queue tbody tr", has_text=ref)
    assert said["new"] not in row.inner_text()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_audit_log_is_in_plain_words_and_fits_the_screen(
    browser, service_keys, lang: str
) -> None:
    coordinator = make_persona(
        "a-coordinator-with-a-rather-long-address@humanitarian-example.org",
        role=StaffProfile.Role.COORDINATOR,
    )
    caseworker = make_persona(
        "a-caseworker-with-an-even-longer-address@field-office.humanitarian-example.org",
        languages=["ar"],
    )
    send(Client(), account_data(narrative="An account.", harms=["threats"]))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    for action in ("case.viewed", "case.opened_to_reply", "case.message_sent"):
        audit.record(action, actor=caseworker.user, case=case)
    audit.record("case.status", actor=caseworker.user, case=case, detail="closed: closed_done")
    audit.record("staff.suspended", actor=coordinator.user, subject=caseworker.user, detail="x")
    said = words(lang)

    session = browser(viewport={"width": 1280, "height": 900}, locale=lang)
    page = session.new_page()
    sign_in(page, session, coordinator)
    page.goto(session.url("/caseworker/audit/"))
    table = page.locator("table.audit-log").inner_text()
    assert said["read"] in table
    assert said["opened"] in table
    assert "case.opened_to_reply" not in table
    assert layout_faults(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert violations(page) == []
