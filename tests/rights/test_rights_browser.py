"""Rights pages in Chromium: en, ar and fa, with JavaScript on and off, within the weight budget."""

import pytest

pytestmark = pytest.mark.browser

# The first visit to an explainer, HTML plus every same-origin sub-resource, compressed.
PAGE_BUDGET_BYTES = 30 * 1024

PAGES = [
    ("/{lang}/rights/", "h1"),
    ("/{lang}/rights/what-is-gender-persecution/", "article h1"),
    ("/{lang}/rights/glossary/", "dl.glossary"),
    ("/{lang}/rights/search/?q=ICC", "ol.search-results"),
]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_rights_pages_render_in_each_direction(browser, lang: str, javascript: bool) -> None:
    session = browser(javascript=javascript, viewport={"width": 360, "height": 740})
    page = session.new_page()
    for path, landmark in PAGES:
        response = page.goto(session.url(path.format(lang=lang)))
        assert response.status == 200
        assert page.locator(landmark).first.is_visible()
        assert page.locator("html").get_attribute("dir") == (
            "rtl" if lang in ("ar", "fa") else "ltr"
        )
        # Nothing is wider than a 360-pixel phone screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path


def test_right_to_left_pages_mirror_the_layout(browser) -> None:
    session = browser(viewport={"width": 360, "height": 740})
    page = session.new_page()
    page.goto(session.url("/ar/rights/what-is-gender-persecution/"))
    heading = page.locator("article h1").bounding_box()
    # The heading hugs the right margin in Arabic.
    assert 360 - (heading["x"] + heading["width"]) < 24
    bullet_list = page.locator("article ul").first
    assert bullet_list.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # List indentation is on the right (logical padding-inline-start).
    assert float(bullet_list.evaluate("el => getComputedStyle(el).paddingRight")[:-2]) > 0
    assert float(bullet_list.evaluate("el => getComputedStyle(el).paddingLeft")[:-2]) == 0


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_first_visit_to_an_explainer_fits_the_budget(browser, lang: str) -> None:
    session = browser(javascript=True)
    page = session.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(session.url(f"/{lang}/rights/what-is-gender-persecution/"), wait_until="load")
    page.wait_for_load_state("networkidle")
    total = 0
    for request in responses:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    assert len(responses) >= 3  # HTML, stylesheet, script at least
    assert total <= PAGE_BUDGET_BYTES, f"{total} bytes over {len(responses)} requests"


def test_search_works_without_javascript(browser) -> None:
    session = browser(javascript=False)
    page = session.new_page()
    page.goto(session.url("/en/rights/"))
    page.fill("#search-query", "witness")
    page.click("form.search-form button")
    # Sent by POST: the words are in neither the address bar nor the history.
    page.wait_for_url("**/rights/search/")
    assert "witness" not in page.url
    page.click("ol.search-results a >> nth=0")
    assert page.locator("article h1").is_visible()
