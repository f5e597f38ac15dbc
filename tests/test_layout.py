"""The survivor layout: quick exit first, language links, skip link, help box, right to left."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

SURVIVOR_PAGES = ["/{lang}/", "/{lang}/help/", "/{lang}/no-such-page/"]


class LinkCollector(HTMLParser):
    """The <a> elements of a page, in document order, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.html_attributes: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))
        if tag == "html":
            self.html_attributes = dict(attrs)


def parse(html: str) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(html)
    return collector


@pytest.mark.django_db
@pytest.mark.parametrize("page", SURVIVOR_PAGES)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_survivor_page_puts_the_quick_exit_right_after_the_skip_link(
    client: Client, page: str, lang: str
) -> None:
    response = client.get(page.format(lang=lang))
    links = parse(response.content.decode()).links
    assert links[0]["href"] == "#main"
    # Through this site's exit address, which ends a returning survivor's session on the way to
    # the neutral site (tests/intake/test_quick_exit.py).
    assert links[1]["href"] == f"/{lang}/intake/exit/"
    assert client.get(links[1]["href"])["Location"] == settings.QUICK_EXIT_URL
    assert "data-quick-exit" in links[1]
    assert "noreferrer" in (links[1]["rel"] or "")


@pytest.mark.django_db
def test_the_language_switcher_links_to_the_same_page_in_every_language(client: Client) -> None:
    links = parse(client.get("/fr/help/").content.decode()).links
    language_links = {link["hreflang"]: link for link in links if link.get("hreflang")}
    assert set(language_links) == {code for code, _ in settings.LANGUAGES}
    assert language_links["ar"]["href"] == "/ar/help/"
    assert "aria-current" in language_links["fr"]
    assert "aria-current" not in language_links["en"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "direction"), [("en", "ltr"), ("ar", "rtl"), ("fa", "rtl"), ("uk", "ltr")]
)
def test_pages_declare_their_language_and_direction(
    client: Client, lang: str, direction: str
) -> None:
    attributes = parse(client.get(f"/{lang}/").content.decode()).html_attributes
    assert attributes == {"lang": lang, "dir": direction}


@pytest.mark.django_db
def test_every_survivor_page_has_the_get_help_box(client: Client) -> None:
    for page in SURVIVOR_PAGES:
        html = client.get(page.format(lang="en")).content.decode()
        assert 'aria-labelledby="help-now-title"' in html
        assert "If you are in danger right now" in html


@pytest.mark.django_db
def test_pages_load_no_fonts_and_only_local_assets(client: Client) -> None:
    html = client.get("/en/").content.decode()
    assert "http://" not in html.replace(settings.QUICK_EXIT_URL, "")
    assert "https://" not in html.replace(settings.QUICK_EXIT_URL, "")
    css = client.get("/static/css/portal.css").getvalue().decode()
    assert "@font-face" not in css
    assert "@import" not in css


def test_the_stylesheet_uses_logical_properties_so_rtl_mirrors() -> None:
    css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text()
    for physical in (
        "margin-left",
        "margin-right",
        "padding-left",
        "padding-right",
        "text-align: left",
        "text-align: right",
        " left:",
        " right:",
        "float: left",
        "float: right",
    ):
        assert physical not in css, physical


@pytest.mark.django_db
def test_the_root_sends_the_reader_to_a_language(client: Client) -> None:
    assert client.get("/", headers={"accept-language": "fa"})["Location"] == "/fa/"
    assert client.get("/")["Location"] == "/en/"


@pytest.mark.django_db
def test_a_server_error_shows_a_kind_page_with_the_quick_exit(client: Client, settings) -> None:
    settings.ROOT_URLCONF = "tests.urls_with_error"
    client.raise_request_exception = False
    response = client.get("/en/fail/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "it was not received" in html
    assert 'href="/en/intake/exit/"' in html
    assert "Traceback" not in html
