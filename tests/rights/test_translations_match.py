"""Every translation says the same numbers, dates, article references and names as the English.

A survivor may act on a date or a number she read in her language: a wrong year, a wrong
article or a missing name in a translation is a wrong fact. For every translated explainer
(title, summary and text as rendered) and every translated glossary entry, this compares what a
reader would take as facts:

- numbers, with Eastern Arabic and Persian digits read as digits, and thousands separators
  ("2,196", "2 196", "۲٬۱۹۶") ignored;
- dates, with the month written as a name in the translation's language ("26 June 2024",
  "26 juin 2024", "26 de junio de 2024", "۲۶ ژوئن ۲۰۲۴", "26 червня 2024 року"), and months with
  a year ("April 2022");
- article references such as 7(1)(h): numbers exactly, letters as in English or, in Arabic and
  Persian, by their abjad equivalent (h = ح), roman numerals by their value;
- proper names listed in rights/content/names.toml, in one of the spellings listed there.

Strict (every number, date and reference must match as a set), but fair about how each language
writes them.
"""

import re
import tomllib
from dataclasses import dataclass, field

import pytest

from rights.content import CONTENT_DIR, SOURCE_LANGUAGE, get_library, normalise

LIBRARY = get_library()
NAMES: dict[str, dict[str, list[str]]] = tomllib.loads(
    (CONTENT_DIR / "names.toml").read_text(encoding="utf-8")
)["names"]

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# A thousands separator between digits: comma, Arabic thousands sign, (narrow) no-break space.
THOUSANDS = re.compile(r"(?<=\d)[,\u066c\u00a0\u202f ](?=\d{3}(?!\d))")

# Month names as each language writes them in a date; Ukrainian and Russian by stem, since the
# month is inflected ("червня", "у квітні"). Arabic has the Levantine and the Egyptian names.


def numbered(names: str, separator: str = " ") -> dict[str, int]:
    """{"january": 1, "february": 2, ...} from the twelve names in order."""
    months = names.split(separator)
    if len(months) != 12:
        raise ValueError(f"twelve months, not {len(months)}")
    return {name: number for number, name in enumerate(months, start=1)}


MONTHS: dict[str, dict[str, int]] = {
    "en": numbered(
        "january february march april may june july august september october november december"
    ),
    "fr": numbered(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ),
    "es": numbered(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    )
    | {"setiembre": 9},
    "ar": numbered("يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر")
    | numbered(
        "كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|"
        "تشرين الثاني|كانون الأول",
        "|",
    )
    | {"إبريل": 4, "يونيه": 6, "يوليه": 7},
    "fa": numbered("ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر")
    | {"می": 5, "جولای": 7, "آگوست": 8},
    "uk": numbered("січ лют берез квіт трав черв лип серп верес жовт листопад груд"),
    "ru": numbered("январ феврал март апрел ма июн июл август сентябр октябр ноябр декабр"),
}
STEMMED = {"uk", "ru"}

# Letters of article paragraphs as Arabic and Persian legal texts number them (abjad order).
ABJAD = ["أ", "ب", "ج", "د", "ه", "و", "ز", "ح", "ط", "ي", "ك", "ل", "م", "ن"]
LETTER_ALTERNATIVES = {
    letter: {letter, normalise(ABJAD[i])} | ({normalise("الف")} if letter == "a" else set())
    for i, letter in enumerate("abcdefghijklmn")
}
ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}
REFERENCE = re.compile(r"(\d+)((?:\s*\(\s*[^()\s]{1,7}\s*\))+)")


def roman_value(numeral: str) -> int | None:
    if not numeral or any(c not in ROMAN for c in numeral):
        return None
    values = [ROMAN[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


@dataclass
class Facts:
    numbers: set[str] = field(default_factory=set)
    dates: set[tuple[int, int, int]] = field(default_factory=set)
    months: set[tuple[int, int]] = field(default_factory=set)
    references: list[tuple[str, ...]] = field(default_factory=list)


def month_pattern(language: str) -> str:
    names = sorted(MONTHS[language], key=len, reverse=True)
    alternation = "|".join(re.escape(normalise(name)) for name in names)
    suffix = r"\w*" if language in STEMMED else ""
    # Arabic may give both names: "تشرين الأول/أكتوبر".
    return rf"(?P<month>(?:{alternation}){suffix})(?:\s*/\s*(?:{alternation}))?"


def month_number(word: str, language: str) -> int:
    word = word.split("/")[0].strip()
    for name, number in sorted(MONTHS[language].items(), key=lambda kv: -len(kv[0])):
        if word == normalise(name) or (language in STEMMED and word.startswith(normalise(name))):
            return number
    raise AssertionError(f"not a month in {language}: {word}")


def facts(text: str, language: str) -> Facts:
    text = THOUSANDS.sub("", normalise(text).translate(DIGITS))
    found = Facts()
    month = month_pattern(language)
    # "26 June 2024", "1er juillet 2002", "6 de octubre de 2025", "6 жовтня 2025 року".
    full = re.compile(
        rf"(?<!\d)(?P<day>\d{{1,2}})(?:er|º|\.)?\s+(?:de\s+)?{month}\s+(?:de\s+)?(?P<year>\d{{4}})(?!\d)"
    )
    for match in full.finditer(text):
        number = month_number(match.group("month"), language)
        found.dates.add((int(match.group("day")), number, int(match.group("year"))))
    text_without_dates = full.sub(" ", text)
    # Day ranges, "9 and 10 September", are rare: a month with a year is compared on its own.
    month_year = re.compile(rf"(?<!\w){month}\s+(?:de\s+)?(?P<year>\d{{4}})(?!\d)")
    for match in month_year.finditer(text_without_dates):
        number = month_number(match.group("month"), language)
        found.months.add((number, int(match.group("year"))))
    found.numbers = set(re.findall(r"\d+", text))
    for match in REFERENCE.finditer(text):
        parts = re.findall(r"\(\s*([^()\s]+)\s*\)", match.group(2))
        found.references.append((match.group(1), *parts))
    return found


def same_reference(english: tuple[str, ...], translated: tuple[str, ...]) -> bool:
    if len(english) != len(translated):
        return False
    for ours, theirs in zip(english, translated, strict=True):
        if ours.isdigit():
            if ours != theirs:
                return False
        elif roman_value(ours) is not None and theirs.isdigit():
            if roman_value(ours) != int(theirs):
                return False
        elif theirs not in LETTER_ALTERNATIVES.get(ours, {ours}):
            return False
    return True


def names_in(english: str) -> list[str]:
    """The listed names an English text uses (matched as written, as whole words)."""
    return [name for name in NAMES if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", english)]


def differences(english: str, translated: str, language: str) -> list[str]:
    """What a reader of the translation would take as a different fact from the English."""
    ours, theirs = facts(english, SOURCE_LANGUAGE), facts(translated, language)
    problems = []
    for kind in ("numbers", "dates", "months"):
        missing = getattr(ours, kind) - getattr(theirs, kind)
        extra = getattr(theirs, kind) - getattr(ours, kind)
        if missing or extra:
            problems.append(f"{kind}: missing {sorted(missing)}, not in English {sorted(extra)}")
    for reference in ours.references:
        if not any(same_reference(reference, other) for other in theirs.references):
            problems.append(f"article reference {reference} is missing or different")
    folded = normalise(translated)
    for name in names_in(english):
        spellings = [name, *NAMES[name].get(language, [])]
        if not any(normalise(spelling) in folded for spelling in spellings):
            problems.append(f"the name {name!r} is missing (spellings: {spellings})")
    return problems


def explainer_text(explainer) -> str:
    return f"{explainer.title}\n{explainer.summary}\n{explainer.text}"


TRANSLATED_EXPLAINERS = [
    (language, slug)
    for language, explainers in LIBRARY.explainers.items()
    if language != SOURCE_LANGUAGE
    for slug in explainers
]
TRANSLATED_TERMS = [
    (language, slug)
    for language, terms in LIBRARY.glossary.items()
    if language != SOURCE_LANGUAGE
    for slug in terms
]


@pytest.mark.parametrize(
    ("language", "slug"), TRANSLATED_EXPLAINERS, ids=["/".join(p) for p in TRANSLATED_EXPLAINERS]
)
def test_a_translated_explainer_states_the_same_facts(language: str, slug: str) -> None:
    english = LIBRARY.explainers[SOURCE_LANGUAGE][slug]
    translated = LIBRARY.explainers[language][slug]
    assert differences(explainer_text(english), explainer_text(translated), language) == []


@pytest.mark.parametrize(
    ("language", "slug"), TRANSLATED_TERMS, ids=["/".join(p) for p in TRANSLATED_TERMS]
)
def test_a_translated_glossary_entry_states_the_same_facts(language: str, slug: str) -> None:
    english = LIBRARY.glossary[SOURCE_LANGUAGE][slug]
    translated = LIBRARY.glossary[language][slug]
    assert (
        differences(
            f"{english.term}\n{english.definition}",
            f"{translated.term}\n{translated.definition}",
            language,
        )
        == []
    )


# --- The comparison catches what it is for -----------------------------------------------------


def test_a_changed_year_in_a_real_translation_is_caught() -> None:
    english = explainer_text(LIBRARY.explainers["en"]["what-is-gender-persecution"])
    persian = explainer_text(LIBRARY.explainers["fa"]["what-is-gender-persecution"])
    assert "۲۰۲۲" in persian
    assert differences(english, persian, "fa") == []
    changed = differences(english, persian.replace("۲۰۲۲", "۲۰۲۱"), "fa")
    assert any("2021" in problem and "2022" in problem for problem in changed), changed


def test_a_changed_date_number_or_name_is_caught_in_every_script() -> None:
    english = "On 26 June 2024 the judges ruled, in 1998, under Article 7(1)(h), in Timbuktu."
    good = {
        "fr": "Le 26 juin 2024, les juges ont statué, en 1998, selon l’article 7(1)(h), "
        "à Tombouctou.",
        "es": "El 26 de junio de 2024 los jueces decidieron, en 1998, según el artículo 7(1)(h), "
        "en Tombuctú.",
        "ar": "في ٢٦ حزيران/يونيو ٢٠٢٤ حكم القضاة، في ١٩٩٨، بموجب المادة 7 (1) (ح)، في تمبكتو.",
        "fa": "در ۲۶ ژوئن ۲۰۲۴ قاضیان، در ۱۹۹۸، طبق مادهٔ ۷(۱)(ح)، در تیمبوکتو رأی دادند.",
        "uk": "26 червня 2024 року судді ухвалили, у 1998 році, за статтею 7(1)(h), у Тімбукту.",
        "ru": "26 июня 2024 года судьи решили, в 1998 году, по статье 7(1)(h), в Тимбукту.",
    }
    for language, text in good.items():
        assert differences(english, text, language) == [], language
        year = text.replace("1998", "1999").replace("۱۹۹۸", "۱۹۹۹").replace("١٩٩٨", "١٩٩٩")
        assert differences(english, year, language), f"{language}: a changed year"
        assert differences(english, text.replace("(1)", "(2)").replace("(۱)", "(۲)"), language), (
            f"{language}: a changed paragraph"
        )
    assert differences(english, good["fr"].replace("juin", "juillet"), "fr")
    assert differences(english, good["ar"].replace("حزيران/يونيو", "تموز/يوليو"), "ar")
    assert differences(english, good["uk"].replace("червня", "липня"), "uk")
    assert differences(english, good["es"].replace("Tombuctú", "Gao"), "es")
    assert differences(english, good["ar"].replace("(ح)", "(ز)"), "ar")


def test_the_names_file_covers_the_names_the_case_pages_use() -> None:
    # The pages about cases name people and places: every one of them is in names.toml.
    for slug in ("gender-persecution-cases-so-far", "gender-crimes-cases-now"):
        text = explainer_text(LIBRARY.explainers["en"][slug])
        for name in ("Al Hassan", "Abd-Al-Rahman", "Ongwen", "Kony", "Akhundzada", "Haqqani"):
            if name in text:
                assert name in names_in(text)
