"""Render the page Caddy shows when a request body is over its limit (deploy/Caddyfile), in every
language, into deploy/errors/: 413.<language>.html for each of LANGUAGES, and 413.html (English
first) for a path without a language.

Caddy answers those requests itself (Django never sees them), so the pages are static files, made
from the portal's templates and translations. Run it after changing templates/portal/too_large*.html
or a translation of their strings; tests/test_error_pages.py fails while the files are out of date.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.template.loader import render_to_string
from django.utils import translation

DEFAULT_FOLDER = Path(settings.BASE_DIR) / "deploy" / "errors"


def render_pages() -> dict[str, str]:
    """{file name: HTML} for every page."""
    languages = [
        (code, str(name), code in settings.LANGUAGES_BIDI) for code, name in settings.LANGUAGES
    ]
    pages: dict[str, str] = {}
    for code, _, _ in languages:
        with translation.override(code):
            others = [language for language in languages if language[0] != code]
            pages[f"413.{code}.html"] = render_to_string(
                "portal/too_large.html", {"other_languages": others}
            )
    pages["413.html"] = pages[f"413.{settings.LANGUAGE_CODE}.html"]
    return pages


class Command(BaseCommand):
    help = "Write the pages Caddy shows for a request body over its limit (deploy/errors/)."
    # Reads templates and translations only: no database to check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        folder.mkdir(parents=True, exist_ok=True)
        pages = render_pages()
        for name, html in pages.items():
            (folder / name).write_text(html, encoding="utf-8")
        self.stdout.write(f"wrote {len(pages)} pages to {folder}")
