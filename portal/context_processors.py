from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def portal(request: HttpRequest) -> dict[str, object]:
    """Values every template needs: the neutral site name, the quick exit and the language links.

    The language switcher is a list of plain links to this same page in each language, so it works
    without JavaScript and without a language cookie.
    """
    current = get_language()
    language_links = [
        {
            "code": code,
            "name": name,
            "url": translate_url(request.path, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]
    return {
        "SITE_NAME": settings.SITE_NAME,
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "language_links": language_links,
    }
