"""Every configured language has a complete, compiled catalogue, and pages show it."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from portal.msgfmt import parse_po, write_mo

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_ui_string_is_translated(lang: str) -> None:
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    messages = parse_po(text)
    english = parse_po(
        (LOCALE / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"),
        include_untranslated=True,
    )
    missing = sorted(msgid for msgid in english if msgid and msgid not in messages)
    assert missing == [], f"{lang} lacks {len(missing)} translations"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalogues_are_compiled_by_the_build(lang: str) -> None:
    assert (LOCALE / lang / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "quick_exit"),
    [
        ("en", "Leave this site quickly"),
        ("ar", "غادر هذا الموقع بسرعة"),
        ("fr", "Quitter ce site rapidement"),
    ],
)
def test_pages_show_the_translation(client: Client, lang: str, quick_exit: str) -> None:
    assert quick_exit in client.get(f"/{lang}/").content.decode()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_python_compiler_matches_gnu_msgfmt(lang: str, tmp_path: Path) -> None:
    # make uses msgfmt when it is installed and portal/msgfmt.py otherwise; both must give the
    # same translations.
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext is not installed")
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    ours, theirs = tmp_path / "ours.mo", tmp_path / "theirs.mo"
    write_mo(parse_po(po.read_text(encoding="utf-8")), ours)
    subprocess.run(["msgfmt", "-o", str(theirs), str(po)], check=True)
    with ours.open("rb") as a, theirs.open("rb") as b:
        mine, gnu = gettext.GNUTranslations(a), gettext.GNUTranslations(b)
    # msgfmt rewrites the header entry (it drops POT-Creation-Date); compare every message and
    # the plural rule the header declares.
    catalogue = "_catalog"
    assert {k: v for k, v in getattr(mine, catalogue).items() if k != ""} == {
        k: v for k, v in getattr(gnu, catalogue).items() if k != ""
    }
    assert [mine.plural(n) for n in range(200)] == [gnu.plural(n) for n in range(200)]  # type: ignore[attr-defined]
