"""Issue 19: an explainer not yet translated is labelled with its language wherever it is listed,
and its links keep the reader in her language. Every explainer is translated now, so each test
takes one translation away, as when a new English explainer is published before its
translations (as tests/rights/test_views.py does)."""

import re

import pytest
from django.test import Client

from rights.content import get_library

pytestmark = pytest.mark.django_db

SLUG = "being-a-witness"


@pytest.fixture
def untranslated(monkeypatch: pytest.MonkeyPatch) -> None:
    library = get_library()
    for lang in ("fa", "ar"):
        kept = {slug: e for slug, e in library.explainers[lang].items() if slug != SLUG}
        monkeypatch.setitem(library.explainers, lang, kept)


def listed(page: str) -> str:
    """The list item that links to the untranslated explainer."""
    match = re.search(rf'<a href="/fa/rights/{SLUG}/"[^>]*>.*?</a>(.*?)</li>', page, re.S)
    assert match, "the explainer is not listed"
    return match.group(1)


def test_the_index_labels_an_untranslated_explainer_with_its_language(
    client: Client, untranslated: None
) -> None:
    page = client.get("/fa/rights/").content.decode()
    assert '<span class="in-language">(به زبان انگلیسی)</span>' in listed(page)
    # Translated ones carry no label.
    assert page.count('class="in-language"') == 1


def test_search_and_the_glossary_label_it_too(client: Client, untranslated: None) -> None:
    glossary = client.get("/fa/rights/glossary/").content.decode()
    assert 'class="in-language"' in glossary
    english = get_library().explainers["en"][SLUG].title
    found = client.get("/fa/rights/search/", {"q": english.split()[-1]}).content.decode()
    assert 'class="in-language"' in found


def test_links_from_an_untranslated_explainer_stay_in_the_readers_language(
    client: Client, untranslated: None
) -> None:
    page = client.get(f"/fa/rights/{SLUG}/").content.decode()
    article = page.split('<article class="explainer"', 1)[1].split("</article>", 1)[0]
    assert 'href="/fa/rights/glossary/#witness" hreflang="fa"' in article
    assert 'href="/fa/rights/taking-part-as-a-victim/" hreflang="fa"' in article
    assert 'href="/en/rights/' not in article


def test_a_term_the_readers_glossary_lacks_keeps_its_english_link(
    client: Client, untranslated: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = get_library()
    persian = {slug: t for slug, t in library.glossary["fa"].items() if slug != "witness"}
    monkeypatch.setitem(library.glossary, "fa", persian)
    page = client.get(f"/fa/rights/{SLUG}/").content.decode()
    assert 'href="/en/rights/glossary/#witness"' in page
    assert 'href="/fa/rights/glossary/#evidence" hreflang="fa"' in page


def test_a_translated_explainer_is_left_as_it_is(client: Client, untranslated: None) -> None:
    page = client.get("/fa/rights/what-is-gender-persecution/").content.decode()
    assert 'hreflang="fa"' not in page.split("<article", 1)[1].split("</article>", 1)[0]
