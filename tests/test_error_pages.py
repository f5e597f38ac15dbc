"""The page Caddy answers a request body over its limit with (deploy/Caddyfile, "error-pages"):
static files made from the portal's templates and translations by `manage.py build_error_pages`.
Django never sees such a request, so these files are all a survivor gets: they must be up to date,
in every language, and load nothing from another site. make deploy-check sees Caddy serve them;
tests/intake/test_upload_limits_browser.py opens one in Chromium and goes Back to the form."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from portal.management.commands.build_error_pages import DEFAULT_FOLDER, render_pages

CODES = [code for code, _ in settings.LANGUAGES]
# Caddy's `templates` handler puts SITE_NAME (deploy/portal.env) here as it serves a page.
SITE_NAME_TITLE = '<title>{{env "SITE_NAME" | html}}</title>'


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.languages: list[str] = []
        self.references: list[str] = []
        self.inline: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self._heading = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "lang" in found:
            self.languages.append(str(found["lang"]))
        for name in ("src", "href", "action"):
            if found.get(name):
                self.references.append(str(found[name]))
        if tag == "script" and "src" not in found:
            self.inline.append("script")
        if tag == "style" or "style" in found or any(k.startswith("on") for k in found):
            self.inline.append(tag)
        if tag in ("h1", "h2"):
            self._heading = tag

    def handle_data(self, data: str) -> None:
        if self._heading and data.strip():
            self.headings.append((self._heading, data.strip()))
            self._heading = ""


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_committed_pages_are_up_to_date() -> None:
    """Run `make error-pages` after changing templates/portal/too_large*.html or a translation
    of their strings."""
    pages = render_pages()
    assert sorted(pages) == sorted([*(f"413.{code}.html" for code in CODES), "413.html"])
    for name, html in pages.items():
        committed = DEFAULT_FOLDER / name
        assert committed.read_text(encoding="utf-8") == html, f"{name} is out of date"
    assert sorted(p.name for p in Path(DEFAULT_FOLDER).iterdir()) == sorted(pages)


@pytest.mark.parametrize("code", CODES)
def test_each_page_speaks_her_language_first_then_every_other(code: str) -> None:
    html = (DEFAULT_FOLDER / f"413.{code}.html").read_text(encoding="utf-8")
    page = parse(html)
    assert page.languages[0] == code
    assert sorted(page.languages) == sorted(CODES)
    direction = "rtl" if code in settings.LANGUAGES_BIDI else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in html
    assert [level for level, _ in page.headings] == ["h1"] + ["h2"] * (len(CODES) - 1)
    # Each language's section says the two limits (in that language's digits).
    for digits in ("20", "5") if code != "fa" else ("۲۰", "۵"):
        assert digits in html.split("<section", 1)[0]
    assert "20 MB" in html  # and in English too


@pytest.mark.parametrize("name", ["413.html", *(f"413.{code}.html" for code in CODES)])
def test_the_title_is_the_site_name_alone(name: str) -> None:
    """As on every survivor page (tests/intake/test_journey.py): the browser's history must not
    say what she did. Nothing else in the page is a template for Caddy."""
    html = (DEFAULT_FOLDER / name).read_text(encoding="utf-8")
    assert html.count("<title>") == 1
    assert SITE_NAME_TITLE in html
    assert html.count("{{") == html.count("}}") == 1


@pytest.mark.parametrize("name", ["413.html", *(f"413.{code}.html" for code in CODES)])
def test_the_pages_load_nothing_from_another_site_and_run_no_inline_code(name: str) -> None:
    page = parse((DEFAULT_FOLDER / name).read_text(encoding="utf-8"))
    assert page.inline == []
    assert page.references
    for reference in page.references:
        assert reference.startswith("/"), reference
        assert not reference.startswith("//"), reference
    assert "/static/css/portal.css" in page.references
    # The quick exit, as on every survivor page.
    assert any(reference.endswith("/intake/exit/") for reference in page.references)
