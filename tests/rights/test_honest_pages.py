"""Issue 13, "Say only what is true": the corrected facts stay corrected, every survivor page says
who runs the portal and what it cannot promise, retention comes from the setting the purge uses,
and pages about cases under way say when they may be out of date."""

import dataclasses
import html
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from portal.dates import add_months
from portal.readers import retention_sentences
from rights.content import (
    CONTENT_DIR,
    ContentError,
    get_library,
    load_library,
    render_markdown,
)

LIBRARY = get_library()
ENGLISH = LIBRARY.explainers["en"]
TRANSLATED = [lang for lang in LIBRARY.explainers if lang != "en"]


def text(slug: str, language: str = "en") -> str:
    page = LIBRARY.explainers[language][slug]
    return f"{page.title} {page.summary} {page.text}"


# --- The seven corrections ---------------------------------------------------------------------


def test_the_cases_page_reports_both_trials_and_how_al_hassan_ended() -> None:
    cases = text("gender-persecution-cases-so-far")
    assert "one trial" not in cases
    assert "does not report how the appeals ended" not in cases
    # Abd-Al-Rahman: convicted on 6 October 2025, sentenced on 9 December 2025, appeal filed.
    assert "Abd-Al-Rahman" in cases
    for day in ("6 October 2025", "6 November 2025", "9 December 2025"):
        assert day in cases
    # Its persecution grounds are not claimed: they could not be checked in the judgment.
    source = (CONTENT_DIR / "en" / "gender-persecution-cases-so-far.md").read_text()
    darfur = source.split("## Abd-Al-Rahman", 1)[1].split("\n## ", 1)[0]
    assert "gender" not in darfur.lower()
    assert "does not say on which grounds" in darfur
    # Al Hassan: both appeals withdrawn on 17 December 2024, judgment final, reparations stage.
    assert "17 December 2024" in cases
    assert re.search(r"verdict and the sentence are final", cases)
    assert "reparations" in cases


def test_complementarity_is_not_limited_to_unwilling_or_unable_states() -> None:
    icc = text("what-the-icc-can-and-cannot-do")
    assert not re.search(r"only when a country is unwilling or unable", icc)
    assert "If no country is doing anything about a case, the ICC can take it" in icc
    definition = LIBRARY.glossary["en"]["complementarity"].definition
    assert "only when" not in definition
    assert "no country acts at all" in definition


def test_the_court_orders_reparations_on_its_own_only_exceptionally() -> None:
    reparations = text("reparations-and-trust-fund")
    assert "The Court can also decide on reparations without a request" not in reparations
    assert re.search(r"Only in exceptional cases can the Court decide on reparations", reparations)


def test_laws_against_same_sex_relations_need_not_be_enforced_to_be_persecution() -> None:
    lgbtqi = text("asylum-lgbtqi")
    assert "when they are enforced" not in lgbtqi
    assert "even if the laws are rarely or never used" in lgbtqi


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_the_quick_exit_button_is_called_by_its_real_label(language: str) -> None:
    with translation.override(language):
        label = str(translation.gettext("Leave this site quickly"))
    assert label in text("your-information-your-choice", language)
    assert "Quick exit" not in text("your-information-your-choice", "en")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ar", "es", "fa", "fr", "ru", "uk"])
def test_the_help_page_calls_the_button_by_its_label(client: Client, language: str) -> None:
    page = html.unescape(client.get(f"/{language}/help/").content.decode())
    with translation.override(language):
        label = str(translation.gettext("Leave this site quickly"))
    # Once in the header, and again where the help page explains what it does not do.
    assert page.count(label) >= 2
    assert "quick exit button" not in page


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_the_explainer_about_an_account_lists_its_readers_and_retention(language: str) -> None:
    page = LIBRARY.explainers[language]["your-information-your-choice"]
    assert '<ul class="readers">' in page.html
    with translation.override(language):
        for sentence in retention_sentences():
            assert html.escape(sentence, quote=False) in page.html


# --- Precision: what translators and reviewers found imprecise in the English ------------------


def test_forced_pregnancy_is_defined_as_article_7_2_f_says() -> None:
    # "with the intent of affecting the ethnic composition of any population or carrying out other
    # grave violations of international law", not "other grave crimes".
    definition = LIBRARY.glossary["en"]["forced-pregnancy"].definition
    assert "grave crimes" not in definition
    assert "other very serious violations of international law" in definition


def test_judgments_convict_on_counts_not_on_a_number_of_crimes() -> None:
    for slug in ("gender-persecution-cases-so-far", "gender-crimes-cases-now"):
        assert not re.search(r"guilty of (more than )?\d+ crimes", text(slug)), slug
        assert "guilty on 27 counts (charges)" in text(slug), slug
    assert "guilty on more than 60 counts (charges)" in text("gender-crimes-cases-now")


def test_the_darfur_verdict_is_under_appeal_not_over() -> None:
    intro = ENGLISH["gender-persecution-cases-so-far"].text.split("Al Hassan (Mali)", 1)[0]
    assert "has also ended" not in intro
    assert "the trial judges have given their verdict" in intro
    assert "The defence lawyers have appealed, so the verdict is not final yet." in intro


def test_al_hassans_acquittals_say_what_was_not_proved() -> None:
    cases = text("gender-persecution-cases-so-far")
    assert "found not guilty of rape" not in cases
    assert (
        "The judges did not find it proved that he was responsible for these crimes, in the way "
        "they were charged against him. So he was acquitted of these charges."
    ) in cases


def test_the_summary_of_the_cases_page_matches_its_opening() -> None:
    page = ENGLISH["gender-crimes-cases-now"]
    assert "each ICC case" not in page.summary
    assert "in which sexual or gender crimes were charged" in page.summary
    assert "in which sexual or gender crimes were charged" in page.text


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_the_shift_shortcut_is_said_to_need_javascript(language: str) -> None:
    # static/js/quick-exit.js adds the Shift shortcut; without JavaScript only the button works.
    for slug, page in LIBRARY.explainers[language].items():
        for _, paragraph in re.findall(r"<(p|li)>(.*?)</\1>", page.html, re.DOTALL):
            if "Shift" in paragraph:
                assert "JavaScript" in paragraph, (language, slug)
    assert "Shift" in LIBRARY.explainers[language]["your-information-your-choice"].html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ar", "es", "fa", "fr", "ru", "uk"])
def test_pages_mention_the_shift_shortcut_only_with_javascript(
    client: Client, language: str
) -> None:
    # The intake start mentions Shift only in a hint hidden until the script that makes Shift
    # work shows it (and only where a keyboard is likely: static/js/quick-exit.js), or says in
    # words that it needs JavaScript.
    start = html.unescape(client.get(f"/{language}/intake/").content.decode())
    safety = start.split('id="safety-check"', 1)[1].split("</section>", 1)[0]
    assert "Shift" in safety
    hidden_hints = re.findall(r"<span data-quick-exit-hint hidden>(.*?)</span>", safety, re.S)
    shown = re.sub(r"<span data-quick-exit-hint hidden>.*?</span>", "", safety, flags=re.S)
    assert any("Shift" in hint for hint in hidden_hints) or "JavaScript" in safety
    assert "Shift" not in shown or "JavaScript" in shown
    for path in (f"/{language}/intake/", f"/{language}/help/", f"/{language}/rights/"):
        page = client.get(path).content.decode()
        hint = re.search(r"<p [^>]*data-quick-exit-hint[^>]*>", page)
        assert hint, path
        assert " hidden" in hint.group(0), path


# --- Independence and limits, on every survivor page -------------------------------------------

SURVIVOR_PAGES = [
    "/{lang}/rights/",
    "/{lang}/rights/what-is-gender-persecution/",
    "/{lang}/rights/being-a-witness/",
    "/{lang}/rights/glossary/",
    "/{lang}/rights/search/?q=ICC",
    "/{lang}/intake/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "ar", "fa", "ru"])
@pytest.mark.parametrize("path", SURVIVOR_PAGES)
def test_every_rights_page_and_the_intake_start_say_what_the_portal_is(
    client: Client, path: str, lang: str
) -> None:
    page = html.unescape(client.get(path.format(lang=lang)).content.decode())
    with translation.override(lang):
        expected = [
            translation.gettext("About this portal, and what it cannot promise"),
            translation.gettext(
                "This portal is independent. It is not part of the ICC or of any government. "
                "It gives information, not legal advice."
            ),
            *retention_sentences(),
        ]
    for sentence in expected:
        assert sentence in page, (path, lang, sentence)
    assert f'href="/{lang}/rights/your-information-your-choice/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("days", [30, 1])
def test_the_retention_period_comes_from_the_setting_the_purge_uses(
    client: Client, settings, days: int
) -> None:
    settings.RETENTION_DAYS_AFTER_CLOSE = days
    unit = "day" if days == 1 else "days"
    sentence = f"When your case is closed, we delete it {days} {unit} after its last change."
    for path in ("/en/intake/", "/en/rights/"):
        assert sentence in client.get(path).content.decode()
    # The explainer's [[retention]] line too, rendered from the same setting.
    rendered, _ = render_markdown("[[retention]]", "en")
    assert sentence in rendered


def test_what_a_withdrawal_leaves_in_backups_comes_from_the_setting(
    client: Client, settings
) -> None:
    settings.BACKUP_RETENTION_DAYS = 14
    sentence = "encrypted backups still hold a copy for up to 14 days"
    for path in ("/en/intake/", "/en/rights/"):
        assert sentence in client.get(path).content.decode()


# --- The [[readers]] and [[retention]] directives ----------------------------------------------


def test_a_directive_writes_the_list_from_code() -> None:
    rendered, _ = render_markdown("Before.\n\n[[readers]]\n\nAfter.", "en")
    assert '<ul class="readers">' in rendered
    assert "<strong>The routing service.</strong>" in rendered


def test_a_directive_is_written_in_the_pages_language() -> None:
    rendered, _ = render_markdown("[[readers]]", "ar")
    with translation.override("ar"):
        assert str(translation.gettext("Coordinators.")) in rendered
    assert "Coordinators." not in rendered


def test_an_unknown_directive_is_an_error_and_brackets_inside_a_sentence_are_text() -> None:
    with pytest.raises(ContentError, match=r"unknown directive \[\[sources\]\]"):
        render_markdown("[[sources]]", "en")
    rendered, _ = render_markdown("See [[readers]] for more.", "en")
    assert "<ul" not in rendered
    assert "[[readers]]" in rendered


def test_translations_keep_the_directives_and_the_ongoing_flag_of_the_english() -> None:
    directive = re.compile(r"^\[\[[a-z-]+\]\]$", re.MULTILINE)
    for language in TRANSLATED:
        for slug, translated in LIBRARY.explainers[language].items():
            english_body = (CONTENT_DIR / "en" / f"{slug}.md").read_text(encoding="utf-8")
            body = (CONTENT_DIR / language / f"{slug}.md").read_text(encoding="utf-8")
            assert directive.findall(body) == directive.findall(english_body), (language, slug)
            assert translated.ongoing == ENGLISH[slug].ongoing, (language, slug)


# --- Pages about cases under way ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 12, 6), 6, date(2027, 6, 6)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),
    ],
)
def test_months_are_added_by_the_calendar(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_a_page_about_cases_under_way_may_be_out_of_date_six_months_after_its_review() -> None:
    page = dataclasses.replace(ENGLISH["gender-crimes-cases-now"], last_reviewed=date(2026, 12, 6))
    assert page.ongoing
    assert not page.may_be_out_of_date(date(2027, 6, 6))
    assert page.may_be_out_of_date(date(2027, 6, 7))
    # A page about the law, not about cases, does not go out of date this way.
    law = dataclasses.replace(ENGLISH["asylum-lgbtqi"], last_reviewed=date(2020, 1, 1))
    assert not law.ongoing
    assert not law.may_be_out_of_date(date(2027, 6, 7))


def test_the_pages_about_cases_are_marked_as_under_way() -> None:
    for slug in ("gender-persecution-cases-so-far", "gender-crimes-cases-now"):
        assert ENGLISH[slug].ongoing, slug


def render_explainer(page, today: date) -> str:
    request = RequestFactory().get(f"/en/rights/{page.slug}/")
    request.user = AnonymousUser()
    context = {
        "explainer": page,
        "language": "en",
        "is_fallback": False,
        "related": [],
        "protecting_information": None,
        "intake_url": None,
        "out_of_date": page.may_be_out_of_date(today),
    }
    with translation.override("en"):
        return html.unescape(render_to_string("rights/explainer.html", context, request=request))


def test_an_old_review_says_the_page_may_be_out_of_date() -> None:
    page = dataclasses.replace(ENGLISH["gender-crimes-cases-now"], last_reviewed=date(2026, 12, 6))
    fresh = render_explainer(page, date(2027, 6, 6))
    assert "It was last reviewed on Dec. 6, 2026." in fresh
    assert "it may be out of date" not in fresh
    stale = render_explainer(page, date(2027, 6, 7))
    assert '<p class="warning" data-review-notice>' in stale
    assert "last reviewed on Dec. 6, 2026. That is a long time" in stale
    assert "it may be out of date" in stale


@pytest.mark.django_db
def test_the_live_page_shows_the_notice_that_fits_today(client: Client) -> None:
    page = ENGLISH["gender-crimes-cases-now"]
    body = html.unescape(client.get("/en/rights/gender-crimes-cases-now/").content.decode())
    assert "data-review-notice" in body
    stale = page.may_be_out_of_date(timezone.localdate())
    assert ("it may be out of date" in body) is stale
    assert "data-review-notice" not in client.get("/en/rights/asylum-lgbtqi/").content.decode()


def test_ongoing_must_be_true_or_false(tmp_path: Path) -> None:
    english = tmp_path / "en"
    english.mkdir()
    (english / "glossary.toml").write_text((CONTENT_DIR / "en" / "glossary.toml").read_text())
    source = (CONTENT_DIR / "en" / "asylum-lgbtqi.md").read_text()
    (english / "asylum-lgbtqi.md").write_text(
        source.replace(
            'translation_status = "original"',
            'ongoing = "yes"\n' + 'translation_status = "original"',
            1,
        )
    )
    with pytest.raises(ContentError, match="ongoing must be true or false"):
        load_library(tmp_path)
