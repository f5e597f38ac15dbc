"""Issue 19 in Chromium: on the Arabic index, an explainer still in English says so, and a
glossary link from it keeps the reader on the Arabic pages. JavaScript plays no part here; both
are checked with it off, at 360 px."""

import pytest

from rights.content import get_library
from tests.rights.test_untranslated import SLUG

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def untranslated(monkeypatch: pytest.MonkeyPatch) -> None:
    library = get_library()
    kept = {slug: e for slug, e in library.explainers["ar"].items() if slug != SLUG}
    monkeypatch.setitem(library.explainers, "ar", kept)


def test_an_english_explainer_on_the_arabic_index_is_labelled_and_its_links_stay_arabic(
    browser,
) -> None:
    session = browser(javascript=False, viewport={"width": 360, "height": 740})
    page = session.new_page()
    page.goto(session.url("/ar/rights/"))
    item = page.locator(f"a[href='/ar/rights/{SLUG}/'] + .in-language")
    assert item.is_visible()
    assert "الإنجليزي" in item.inner_text()
    page.click(f"a[href='/ar/rights/{SLUG}/']")
    page.click("article a.term >> nth=0")
    page.wait_for_load_state("load")
    assert page.url.split("#")[0].endswith("/ar/rights/glossary/")
    assert page.locator("html").get_attribute("lang") == "ar"
