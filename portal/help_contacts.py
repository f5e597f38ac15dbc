"""Emergency and support contacts for "Get help now", read from a file the operator edits.

The file (HELP_CONTACTS_FILE, by default portal/help_contacts.toml) is described in its own
header and in docs/help-contacts.md. It is read again whenever it changes, so an operator's edit
shows without a restart; a file that does not parse is an error for `manage.py check`
(portal/checks.py) and, on the page, the contacts are left out rather than guessed. A file whose
review date is older than HELP_CONTACTS_REVIEW_MONTHS is still shown, with its date, and the log
warns the operator.
"""

import functools
import logging
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.dates import add_months

logger = logging.getLogger(__name__)

# What a contact is for, as the page names it (in the reader's language).
KINDS = {
    "emergency": _("Emergency services (police, ambulance, fire)"),
    "violence": _("Support after violence"),
    "children": _("Help for children and young people"),
    "refugees": _("Help for refugees and people seeking asylum"),
    "helplines": _("Helplines in many countries"),
}


class HelpContactsError(Exception):
    """The contacts file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Contact:
    kind: str
    name: str
    phone: str = ""
    url: str = ""
    hours: str = ""

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


@dataclass(frozen=True)
class Country:
    code: str
    names: dict[str, str]
    contacts: tuple[Contact, ...]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]

    def name_language(self, language: str) -> str:
        """The language the name is shown in (for a `lang` attribute)."""
        return language if language in self.names else "en"


@dataclass(frozen=True)
class Directory:
    reviewed: date
    international: tuple[Contact, ...] = ()
    countries: dict[str, Country] = field(default_factory=dict)

    def countries_for(self, language: str) -> list[Country]:
        return sorted(self.countries.values(), key=lambda c: c.name(language).casefold())


def _contact(entry: Any, where: str) -> Contact:
    if not isinstance(entry, dict):
        raise HelpContactsError(f"{where}: a contact is a table")
    kind, name = entry.get("kind"), entry.get("name")
    if kind not in KINDS:
        raise HelpContactsError(f"{where}: kind must be one of {sorted(KINDS)}, not {kind!r}")
    if not isinstance(name, str) or not name.strip():
        raise HelpContactsError(f"{where}: every contact needs a name")
    values = {key: entry.get(key, "") for key in ("phone", "url", "hours")}
    if any(not isinstance(value, str) for value in values.values()):
        raise HelpContactsError(f"{where}: phone, url and hours are text")
    if not (values["phone"] or values["url"]):
        raise HelpContactsError(f"{where}: {name!r} needs a phone number or a url")
    if values["url"] and not values["url"].startswith("https://"):
        raise HelpContactsError(f"{where}: {name!r}: only https:// addresses")
    return Contact(kind=kind, name=name.strip(), **values)


def parse(text: str, where: str = "help contacts") -> Directory:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HelpContactsError(f"{where}: {error}") from None
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, date):
        raise HelpContactsError(f"{where}: `reviewed = YYYY-MM-DD` (a date, no quotes) is needed")
    international = tuple(
        _contact(entry, f"{where}, [[international]] {number}")
        for number, entry in enumerate(data.get("international", []), start=1)
    )
    countries: dict[str, Country] = {}
    for number, entry in enumerate(data.get("country", []), start=1):
        place = f"{where}, [[country]] {number}"
        code = entry.get("code")
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
            raise HelpContactsError(f"{place}: code is a two-letter ISO 3166-1 code, such as DE")
        names = entry.get("names")
        if not isinstance(names, dict) or not isinstance(names.get("en"), str):
            raise HelpContactsError(f'{place}: names needs at least en = "..."')
        if code in countries:
            raise HelpContactsError(f"{place}: {code} is listed twice")
        contacts = tuple(_contact(c, f"{place} ({code})") for c in entry.get("contact", []))
        if not contacts:
            raise HelpContactsError(f"{place}: {code} has no [[country.contact]]")
        countries[code] = Country(code, {k: str(v) for k, v in names.items()}, contacts)
    return Directory(reviewed, international, countries)


@functools.cache
def _load(path: Path, modified: float) -> Directory:
    directory = parse(path.read_text(encoding="utf-8"), str(path))
    if timezone.localdate() > add_months(directory.reviewed, settings.HELP_CONTACTS_REVIEW_MONTHS):
        # Once per version of the file and process: the operator should check it again.
        logger.warning(
            "%s was last reviewed on %s: check every entry at its source again "
            "(docs/help-contacts.md)",
            path,
            directory.reviewed,
        )
    return directory


def get_directory() -> Directory | None:
    """The contacts, read again when the file changes; None (logged) if the file is missing or
    malformed: the page then says what to do without a listed contact."""
    path = Path(settings.HELP_CONTACTS_FILE)
    try:
        return _load(path, path.stat().st_mtime)
    except (OSError, HelpContactsError):
        logger.exception("the help contacts file cannot be read")
        return None
