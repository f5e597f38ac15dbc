"""The patterns page in Chromium: WCAG 2.1 AA (axe) in English and Arabic, with and without
JavaScript, with a chart that has a small month and a month hidden with it."""

import os

import pytest

from intake.models import PatternCount, StaffProfile
from tests.caseworker.conftest import make_persona
from tests.test_accessibility import sign_in_in_browser, staff_session, violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_patterns_page_meets_wcag_21_aa(browser, db, lang: str, javascript: bool) -> None:
    for month, harm, count in [
        ("2025-01", "threats", 3),
        ("2025-02", "threats", 9),
        ("2025-03", "detention", 20),
        ("2025-03", "threats", 14),
        ("", "", 6),
    ]:
        PatternCount.objects.create(
            month=month, country="sudan", region="", age_group="adult", harm=harm, count=count
        )
    coordinator = make_persona("a11y-patterns@example.org", role=StaffProfile.Role.COORDINATOR)
    session = staff_session(browser, lang, javascript)
    page = session.new_page()
    sign_in_in_browser(page, session, coordinator, lang)
    page.goto(session.url("/caseworker/patterns/"))
    assert page.locator("svg[role=img] rect").count() >= 2
    found = {"by month": violations(page)}
    page.select_option("select[name=by]", "region")
    with page.expect_navigation():
        page.click("form[method=get] button[type=submit]")
    assert "by=region" in page.url
    found["by region"] = violations(page)
    if os.environ.get("PATTERNS_SCREENSHOT"):
        page.goto(session.url("/caseworker/patterns/"))
        page.screenshot(path=f"{os.environ['PATTERNS_SCREENSHOT']}-{lang}.png", full_page=True)
    assert {name: v for name, v in found.items() if v} == {}
