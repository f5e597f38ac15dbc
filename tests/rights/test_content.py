"""The explainers and glossary: complete, linked, sourced, readable and faithful to the sources."""

import re
import shutil
from pathlib import Path

import pytest
import textstat
from django.urls import Resolver404, resolve
from django.utils import translation

from rights.content import (
    CONTENT_DIR,
    QUESTIONS,
    ContentError,
    get_library,
    load_library,
    render_markdown,
)

LIBRARY = get_library()
ENGLISH = LIBRARY.explainers["en"]
MOST_IMPORTANT = {
    "what-is-gender-persecution",
    "sexual-violence-international-crime",
    "protection-and-privacy",
    "asylum-gender-persecution",
    "your-information-your-choice",
}


def all_explainers():
    return [e for explainers in LIBRARY.explainers.values() for e in explainers.values()]


def test_there_are_at_least_twelve_explainers_covering_every_question() -> None:
    assert len(ENGLISH) >= 12
    assert {e.question for e in ENGLISH.values()} == set(QUESTIONS)


def test_the_glossary_has_at_least_25_terms_of_one_to_three_sentences() -> None:
    terms = LIBRARY.glossary["en"]
    assert len(terms) >= 25
    for term in terms.values():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", term.definition) if s]
        assert 1 <= len(sentences) <= 3, term.slug


@pytest.mark.parametrize("explainer", all_explainers(), ids=lambda e: f"{e.language}/{e.slug}")
def test_every_explainer_names_its_sources(explainer) -> None:
    assert explainer.sources
    for source in explainer.sources:
        assert source.cite
        assert source.document
        assert source.url.startswith("https://")


@pytest.mark.parametrize("explainer", all_explainers(), ids=lambda e: f"{e.language}/{e.slug}")
def test_every_internal_link_resolves(explainer) -> None:
    for href in re.findall(r'href="([^"]+)"', explainer.html):
        path = href.split("#", 1)[0]
        try:
            # Language-prefixed URLs resolve only in their own language.
            with translation.override(explainer.language):
                resolve(path)
        except Resolver404:
            pytest.fail(f"{explainer.language}/{explainer.slug}: {href} does not resolve")


@pytest.mark.parametrize("explainer", ENGLISH.values(), ids=lambda e: e.slug)
def test_english_explainers_read_at_grade_8_or_below(explainer) -> None:
    text = f"{explainer.title}. {explainer.summary}. {explainer.text}"
    assert textstat.flesch_kincaid_grade(text) <= 8


def test_the_glossary_reads_at_grade_8_or_below() -> None:
    definitions = " ".join(t.definition for t in LIBRARY.glossary["en"].values())
    assert textstat.flesch_kincaid_grade(definitions) <= 8


def test_legal_terms_link_to_the_glossary_on_first_use() -> None:
    # The glossary term's own words, where they occur in an English body, must be a link the
    # first time (the link can come with other words around it, so look at link texts).
    for explainer in ENGLISH.values():
        linked = {target for scheme, target in explainer.links if scheme == "glossary"}
        assert linked, explainer.slug
        for slug in linked:
            first_link = explainer.html.find(f'href="/en/rights/glossary/#{slug}"')
            assert first_link >= 0, (explainer.slug, slug)


@pytest.mark.parametrize("language", ["ar", "fa", "fr", "es", "uk"])
def test_the_five_most_important_topics_are_translated(language: str) -> None:
    assert set(LIBRARY.explainers.get(language, {})) >= MOST_IMPORTANT
    # Untranslated glossary entries fall back to English; translated ones cover every term.
    assert set(LIBRARY.glossary.get(language, {})) == set(LIBRARY.glossary["en"])


@pytest.mark.parametrize("language", [lang for lang in LIBRARY.explainers if lang != "en"])
def test_translations_keep_the_english_structure(language: str) -> None:
    for slug, translated in LIBRARY.explainers[language].items():
        english = ENGLISH[slug]
        assert translated.translation_status in ("reviewed", "unreviewed")
        assert (translated.question, translated.order) == (english.question, english.order)
        assert translated.related == english.related
        assert [s.url for s in translated.sources] == [s.url for s in english.sources]
        assert sorted(set(translated.links)) == sorted(set(english.links)), slug


def test_facts_match_the_primary_sources() -> None:
    cases = ENGLISH["gender-persecution-cases-so-far"].text
    # Al Hassan was convicted of persecution on religious grounds, NOT of gender persecution.
    assert "26 June 2024" in cases
    assert re.search(
        r"(not (been )?(found guilty|convicted)|did not convict him) of gender persecution", cases
    )
    assert not re.search(r"(?<!not )(convicted|found guilty) of gender persecution", cases)
    # The Afghanistan warrants were issued on 8 July 2025 and have not been executed.
    assert "8 July 2025" in cases
    assert re.search(r"not (been )?(arrested|in custody)", cases)


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    html, _ = render_markdown(
        'Hello <script>alert(1)</script> <img src="https://x.example/">', "en"
    )
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_links_to_other_sites_are_refused_in_the_body() -> None:
    with pytest.raises(ContentError, match="only glossary:, explainer: and page: links"):
        render_markdown("[x](https://tracker.example/)", "en")


def test_a_broken_content_folder_is_reported_with_the_file_name(tmp_path: Path) -> None:
    english = tmp_path / "en"
    english.mkdir()
    (english / "glossary.toml").write_text((CONTENT_DIR / "en" / "glossary.toml").read_text())
    source = (CONTENT_DIR / "en" / "asylum-lgbtqi.md").read_text()
    (english / "asylum-lgbtqi.md").write_text(source.replace('summary = "', 'summery = "', 1))
    with pytest.raises(ContentError, match=r"asylum-lgbtqi.md: front matter needs summary"):
        load_library(tmp_path)


def test_a_link_to_a_missing_glossary_term_is_reported(tmp_path: Path) -> None:
    shutil.copytree(CONTENT_DIR / "en", tmp_path / "en")
    glossary = (tmp_path / "en" / "glossary.toml").read_text()
    (tmp_path / "en" / "glossary.toml").write_text(
        glossary.replace('slug = "non-refoulement"', 'slug = "renamed-term"')
    )
    with pytest.raises(ContentError, match="unknown glossary term 'non-refoulement'"):
        load_library(tmp_path)


def test_the_library_is_parsed_once_per_process() -> None:
    get_library()
    before = get_library.cache_info()
    for _ in range(3):
        get_library()
    after = get_library.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 3
