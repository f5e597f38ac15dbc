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
- chamber numbers ("Pre-Trial Chamber II"): Roman numerals in every language, or the ordinal
  word Arabic and Persian write after the chamber's name ("الدائرة التمهيدية الثانية",
  "شعبهٔ مقدماتی دوم"), compared with the kind of chamber;
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

# Month names as each language writes them in a date. Arabic has the Levantine and the Egyptian
# names. Ukrainian and Russian inflect the month ("червня", "у квітні", "між серпнем"): every form
# is listed as a whole word, never a bare stem, so that a stem cannot match another word (the
# Russian stem "ма", May, matched "Мали", Mali).


def numbered(names: str, separator: str = " ") -> dict[str, int]:
    """{"january": 1, "february": 2, ...} from the twelve names in order."""
    months = names.split(separator)
    if len(months) != 12:
        raise ValueError(f"twelve months, not {len(months)}")
    return {name: number for number, name in enumerate(months, start=1)}


def declined(months: str) -> dict[str, int]:
    """Every form of twelve inflected month names, written "stem:ending ending ...", one month per
    line in order; "-" is the bare stem (the nominative of "листопад", "март", "август")."""
    lines = [line.split(":") for line in months.strip().splitlines()]
    if len(lines) != 12:
        raise ValueError(f"twelve months, not {len(lines)}")
    forms = {}
    for number, (stem, endings) in enumerate(lines, start=1):
        for ending in endings.split():
            forms[stem.strip() + ending.replace("-", "")] = number
    return forms


# Nominative, genitive ("6 жовтня"), locative ("у квітні"), instrumental ("між серпнем") and dative.
UKRAINIAN_MONTHS = """
січ: ень ня ні нем ню
лют: ий ого ому им ім
берез: ень ня ні нем ню
квіт: ень ня ні нем ню
трав: ень ня ні нем ню
черв: ень ня ні нем ню
лип: ень ня ні нем ню
серп: ень ня ні нем ню
верес: ень ня ні нем ню
жовт: ень ня ні нем ню
листопад: - а і ом у
груд: ень ня ні нем ню
"""
# Nominative, genitive ("6 мая"), prepositional ("в мае"), instrumental and dative.
RUSSIAN_MONTHS = """
январ: ь я е ем ём ю
феврал: ь я е ем ём ю
март: - а е ом у
апрел: ь я е ем ю
ма: й я е ем ю
июн: ь я е ем ю
июл: ь я е ем ю
август: - а е ом у
сентябр: ь я е ем ём ю
октябр: ь я е ем ём ю
ноябр: ь я е ем ём ю
декабр: ь я е ем ём ю
"""


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
    "uk": declined(UKRAINIAN_MONTHS),
    "ru": declined(RUSSIAN_MONTHS),
}

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


# Chambers are numbered ("Pre-Trial Chamber II issued the warrants"): the number says which judges
# decided, so it is a fact like a date. English, French, Spanish, Ukrainian and Russian write a
# Roman numeral after the chamber's name (as the ICC does in these languages); Arabic and Persian
# write an ordinal word ("الدائرة التمهيدية الثانية", "شعبهٔ مقدماتی دوم"). Each language's names
# for the numbered chambers, as regular expressions (\w* where the name is inflected); a
# translation that names a chamber some other way reads as a missing number: add the name here.
CHAMBERS: dict[str, dict[str, list[str]]] = {
    "en": {"pre-trial": [r"pre-trial chamber"], "trial": [r"(?<!pre-)trial chamber"]},
    "fr": {"pre-trial": [r"chambre préliminaire"], "trial": [r"chambre de première instance"]},
    "es": {
        "pre-trial": [r"sala de cuestiones preliminares"],
        "trial": [r"sala de primera instancia"],
    },
    "ar": {"pre-trial": [r"الدائرة التمهيدية"], "trial": [r"الدائرة الابتدائية"]},
    "fa": {"pre-trial": [r"شعبهٔ مقدماتی"], "trial": [r"شعبهٔ بدوی", r"شعبهٔ محاکمه"]},
    "uk": {
        "pre-trial": [r"палат\w* попереднього провадження"],
        "trial": [r"судов\w* палат\w*"],
    },
    "ru": {
        "pre-trial": [r"палат\w* предварительного производства"],
        "trial": [r"судебн\w* палат\w*"],
    },
}
# The ordinal words, 1 to 10, that follow a chamber's name (Arabic in the feminine, as دائرة is).
ORDINALS: dict[str, dict[str, int]] = {
    language: {word: number for number, word in enumerate(words.split(), start=1)}
    for language, words in {
        "ar": "الأولى الثانية الثالثة الرابعة الخامسة السادسة السابعة الثامنة التاسعة العاشرة",
        "fa": "یکم دوم سوم چهارم پنجم ششم هفتم هشتم نهم دهم",
    }.items()
}
ORDINALS["fa"]["اول"] = 1


def chamber_pattern(language: str) -> re.Pattern[str]:
    kinds = "|".join(
        rf"(?P<{kind.replace('-', '_')}>{'|'.join(normalise(name) for name in names)})"
        for kind, names in CHAMBERS[language].items()
    )
    ordinals = sorted((normalise(word) for word in ORDINALS.get(language, {})), key=len)
    numeral = "|".join(["[ivx]+", *(re.escape(word) for word in reversed(ordinals))])
    return re.compile(rf"(?<!\w)(?:{kinds})\s+(?P<numeral>{numeral})(?!\w)")


def chamber_number(numeral: str, language: str) -> int:
    for word, number in ORDINALS.get(language, {}).items():
        if numeral == normalise(word):
            return number
    value = roman_value(numeral)
    if value is None:
        raise AssertionError(f"not a chamber number in {language}: {numeral}")
    return value


@dataclass
class Facts:
    numbers: set[str] = field(default_factory=set)
    dates: set[tuple[int, int, int]] = field(default_factory=set)
    months: set[tuple[int, int]] = field(default_factory=set)
    references: list[tuple[str, ...]] = field(default_factory=list)
    chambers: set[tuple[str, int]] = field(default_factory=set)


def month_pattern(language: str) -> str:
    names = sorted(MONTHS[language], key=len, reverse=True)
    alternation = "|".join(re.escape(normalise(name)) for name in names)
    # Arabic may give both names: "تشرين الأول/أكتوبر".
    return rf"(?P<month>(?:{alternation}))(?:\s*/\s*(?:{alternation}))?(?!\w)"


def month_number(word: str, language: str) -> int:
    word = word.split("/")[0].strip()
    for name, number in MONTHS[language].items():
        if word == normalise(name):
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
    for match in chamber_pattern(language).finditer(text):
        kind = next(k for k, name in match.groupdict().items() if name and k != "numeral")
        found.chambers.add(
            (kind.replace("_", "-"), chamber_number(match.group("numeral"), language))
        )
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
    for kind in ("numbers", "dates", "months", "chambers"):
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


# The chamber's name as each translation of the case pages writes it, and how it writes "II" and
# "III" after it.
CHAMBER_IN_THE_CASE_PAGES = {
    "en": ("Pre-Trial Chamber", "II", "III"),
    "fr": ("Chambre préliminaire", "II", "III"),
    "es": ("Sala de Cuestiones Preliminares", "II", "III"),
    "ar": ("الدائرة التمهيدية", "الثانية", "الثالثة"),
    "fa": ("شعبهٔ مقدماتی", "دوم", "سوم"),
    "uk": ("Палати попереднього провадження", "II", "III"),
    "ru": ("Палаты предварительного производства", "II", "III"),
}


@pytest.mark.parametrize("language", [lang for lang in CHAMBER_IN_THE_CASE_PAGES if lang != "en"])
def test_a_swapped_chamber_number_in_a_real_translation_is_caught(language: str) -> None:
    # Pre-Trial Chamber II issued the Afghanistan warrants; Pre-Trial Chamber III confirmed the
    # charges against Kony. Swapping the two in a translation changes no digit.
    chamber, two, three = CHAMBER_IN_THE_CASE_PAGES[language]
    for slug, number, swapped in (
        ("gender-persecution-cases-so-far", two, three),
        ("gender-crimes-cases-now", three, two),
    ):
        english = explainer_text(LIBRARY.explainers["en"][slug])
        translated = explainer_text(LIBRARY.explainers[language][slug])
        assert f"{chamber} {number}" in translated, (language, slug)
        assert differences(english, translated, language) == []
        changed = differences(
            english, translated.replace(f"{chamber} {number}", f"{chamber} {swapped}"), language
        )
        assert any(problem.startswith("chambers") for problem in changed), (language, slug)
        dropped = differences(english, translated.replace(f"{chamber} {number}", chamber), language)
        assert any(problem.startswith("chambers") for problem in dropped), (language, slug)


def test_chamber_numbers_are_read_with_the_kind_of_chamber() -> None:
    chambers = {
        "en": "Pre-Trial Chamber II, then Trial Chamber I, then the Appeals Chamber.",
        "fr": "La Chambre préliminaire II, puis la Chambre de première instance I.",
        "es": "La Sala de Cuestiones Preliminares II, luego la Sala de Primera Instancia I.",
        "ar": "الدائرة التمهيدية الثانية، ثم الدائرة الابتدائية الأولى.",
        "fa": "شعبهٔ مقدماتی دوم، سپس شعبهٔ بدوی یکم.",
        "uk": "Палата попереднього провадження II, потім Судова палата I.",
        "ru": "Палата предварительного производства II, затем Судебная палата I.",
    }
    for language, text in chambers.items():
        assert facts(text, language).chambers == {("pre-trial", 2), ("trial", 1)}, language
    # A number in the wrong kind of chamber is a different fact.
    assert differences(
        chambers["en"],
        chambers["fr"]
        .replace("préliminaire II", "préliminaire I")
        .replace("instance I.", "instance II."),
        "fr",
    )
    # A full stop between the name and a word is not a number; neither is an ordinal that comes
    # after other words ("for the second time").
    assert facts("She spoke to the Trial Chamber. I was there.", "en").chambers == set()
    assert facts("شعبهٔ مقدماتی برای بار دوم تشکیل جلسه داد.", "fa").chambers == set()
    assert facts("اجتمعت الدائرة التمهيدية للمرة الثانية.", "ar").chambers == set()


def test_a_country_is_not_read_as_a_month_and_every_month_form_is() -> None:
    # The Russian stem for May, "ма", matched "Мали" (Mali): a year after the country's name was
    # read as May of that year, a difference that is not there.
    english = "Crimes in Mali, 2012 and 2013. A hearing in May 2025, then on 17 May 2025."
    russian = (
        "Преступления в Мали 2012 и 2013 годов. Слушание в мае 2025 года, затем 17 мая 2025 года."
    )
    ukrainian = (
        "Злочини в Малі 2012 і 2013 років. Слухання у травні 2025 року, потім 17 травня 2025 року."
    )
    assert facts(russian, "ru").months == {(5, 2025)}
    assert differences(english, russian, "ru") == []
    assert differences(english, ukrainian, "uk") == []
    assert differences(english, russian.replace("в мае", "в марте"), "ru")
    assert differences(english, russian.replace("17 мая", "17 июня"), "ru")
    assert differences(english, ukrainian.replace("у травні", "у березні"), "uk")
    # Every inflected form reads as its month, and only as that month.
    for language in ("uk", "ru"):
        for form, number in MONTHS[language].items():
            assert facts(f"1 {form} 2020", language).dates == {(1, number, 2020)}, form
            assert facts(f"{form} 2020", language).months == {(number, 2020)}, form
