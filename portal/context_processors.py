from functools import partial

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def portal(request: HttpRequest) -> dict[str, object]:
    """Values every template needs: the neutral site name, the quick exit and the language links.

    The language switcher is a list of plain links to this same page in each language, so it works
    without JavaScript and without a language cookie.
    """
    return {
        "SITE_NAME": settings.SITE_NAME,
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        # A callable: the template calls it where it shows the switcher (templates/base.html).
        # The staff pages have none, and seven translate_url() on every one of them were about
        # a millisecond (docs/performance.md, issue 16).
        "language_links": partial(language_links, request.path),
    }


def language_links(path: str) -> list[dict[str, object]]:
    """This page in each language, the current one marked."""
    current = get_language()
    return [
        {
            "code": code,
            "name": name,
            "url": translate_url(path, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]
