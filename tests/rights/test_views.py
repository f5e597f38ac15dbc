"""The rights pages as a reader sees them, without JavaScript (Django's test client)."""

import re

import pytest
from django.test import Client

from rights.content import get_library

pytestmark = pytest.mark.django_db


def html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_index_groups_explainers_by_question(client: Client) -> None:
    page = html(client, "/en/rights/")
    for question in (
        "Is what happened to me a crime?",
        "Can I get asylum, or justice some other way?",
    ):
        assert question in page
    # Every explainer is listed, in its group's order.
    assert page.index("What is gender persecution?") < page.index("Sexual violence as an")
    for explainer in get_library().explainers["en"].values():
        assert f'href="/en/rights/{explainer.slug}/"' in page


def test_an_explainer_shows_its_sources_date_reading_time_and_next_steps(client: Client) -> None:
    page = html(client, "/en/rights/asylum-lgbtqi/")
    assert "<h1>Asylum for LGBTQI+ people</h1>" in page or "Asylum" in page
    assert "Where this comes from" in page
    assert "https://www.refworld.org/" in page
    assert '<time datetime="2026-12-06">' in page
    assert "minute read" in page
    assert 'aria-labelledby="related-title"' in page
    assert 'href="/en/help/"' in page
    assert 'href="/en/rights/your-information-your-choice/"' in page
    assert 'media="print"' in page


def test_glossary_links_point_at_the_glossary_in_the_readers_language(client: Client) -> None:
    page = html(client, "/fr/rights/what-is-gender-persecution/")
    assert 'href="/fr/rights/glossary/#gender-persecution"' in page


def test_a_missing_translation_falls_back_to_english_with_a_notice(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every explainer is translated now (issue 13): take one away for the length of this test,
    # as when a new English explainer is published before its translations.
    library = get_library()
    persian = {slug: e for slug, e in library.explainers["fa"].items() if slug != "being-a-witness"}
    monkeypatch.setitem(library.explainers, "fa", persian)
    page = html(client, "/fa/rights/being-a-witness/")
    assert '<article class="explainer" lang="en" dir="ltr">' in page
    assert 'dir="rtl"' in page.split("<body", 1)[0]
    assert "notice" in page


def test_an_unreviewed_translation_says_so_and_links_to_the_english(client: Client) -> None:
    page = html(client, "/ar/rights/what-is-gender-persecution/")
    assert 'class="notice"' in page
    assert 'href="/en/rights/what-is-gender-persecution/"' in page


def test_an_unknown_explainer_is_a_kind_404(client: Client) -> None:
    response = client.get("/en/rights/no-such-topic/")
    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_the_glossary_lists_terms_with_anchors_and_where_they_are_used(client: Client) -> None:
    page = html(client, "/en/rights/glossary/")
    assert '<dt id="non-refoulement">' in page
    assert "Used in:" in page


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        ("en", "asylum", "asylum-lgbtqi"),
        ("en", "ASYLUM", "asylum-lgbtqi"),
        ("en", "  Witness ", "being-a-witness"),
        ("fr", "refugie", "asylum-gender-persecution"),
        ("fr", "RÉFUGIÉ", "asylum-gender-persecution"),
    ],
)
def test_search_is_tolerant_of_case_and_diacritics(
    client: Client, language, query, expected
) -> None:
    page = html(client, f"/{language}/rights/search/?q={query}")
    assert f'href="/{language}/rights/{expected}/"' in page


def result_links(page: str) -> list[str]:
    results = page.split('class="search-results"', 1)
    return re.findall(r'href="(/[a-z]+/rights/[a-z-]+/)"', results[1]) if len(results) == 2 else []


def test_search_ignores_arabic_letter_variants_and_diacritics(client: Client) -> None:
    # "humanity" written with hamza under the alef, without it, and with a short-vowel mark.
    with_hamza = result_links(html(client, "/ar/rights/search/?q=الإنسانية"))
    without_hamza = result_links(html(client, "/ar/rights/search/?q=الانسانية"))
    with_vowel_mark = result_links(html(client, "/ar/rights/search/?q=الإنسانيَة"))
    assert "/ar/rights/what-is-gender-persecution/" in with_hamza
    assert with_hamza == without_hamza == with_vowel_mark


def test_search_works_in_persian(client: Client) -> None:
    # Persian readers may type the Arabic forms of yeh and kaf; both find the Persian text.
    assert "/fa/rights/asylum-gender-persecution/" in result_links(
        html(client, "/fa/rights/search/?q=پناهندگی")
    )
    assert "/fa/rights/asylum-gender-persecution/" in result_links(
        html(client, "/fa/rights/search/?q=پناهندگي")
    )


def test_an_empty_search_explains_what_to_type(client: Client) -> None:
    page = html(client, "/en/rights/search/?q=")
    assert "Type a word" in page
    assert 'class="search-results"' not in page


def test_a_hostile_search_is_shown_as_text(client: Client) -> None:
    page = html(client, '/en/rights/search/?q=<script>alert("x")</script>')
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page
    assert "Nothing matches" in page


def test_a_very_long_search_is_cut_not_refused(client: Client) -> None:
    page = html(client, "/en/rights/search/?q=" + "asylum " * 500)
    assert 'value="asylum asylum' in page


def test_rights_pages_touch_no_database(client: Client, django_assert_num_queries) -> None:
    for url in (
        "/en/rights/",
        "/ar/rights/asylum-lgbtqi/",
        "/en/rights/glossary/",
        "/en/rights/search/?q=icc",
    ):
        with django_assert_num_queries(0):
            client.get(url)


def test_rights_pages_are_compressed_for_slow_connections(client: Client) -> None:
    response = client.get("/en/rights/asylum-lgbtqi/", headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"


def test_the_search_form_sends_its_words_by_post_without_a_token(client: Client) -> None:
    """Search words stay out of the address bar and the history (issue 19), and the form holds
    no CSRF token, so the pages it is on stay the same for every reader (rights/pages.py)."""
    for path in ("/en/rights/", "/en/rights/search/"):
        form = re.search(r'<form class="search-form"[^>]*>.*?</form>', html(client, path), re.S)
        assert form
        assert 'method="post"' in form.group(0)
        assert "csrfmiddlewaretoken" not in form.group(0)
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/en/rights/search/", {"q": "witness"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/en/rights/being-a-witness/"' in page
    # The words are in the page, so the browser must not keep it.
    assert "no-store" in response["Cache-Control"]
