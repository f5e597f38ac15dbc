"""The rights library's pages. Content comes from rights.content, parsed once per process."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from rights.content import (
    MAX_QUERY_LENGTH,
    QUESTIONS,
    SOURCE_LANGUAGE,
    get_library,
    search,
)

# Rights pages are compressed (they must stay under 30 KB on a slow connection). They hold no
# secret or form token, so compressing them gives a BREACH-style attack nothing to find; pages that
# do hold secrets (intake, caseworker) are not compressed.

# The explainer every page points to for keeping one's information safe.
PROTECTING_INFORMATION = "your-information-your-choice"


def _language() -> str:
    return get_language() or SOURCE_LANGUAGE


def _intake_url() -> str | None:
    # Intake is a separate app; until it is deployed the "share an account" step is not shown.
    try:
        return reverse("intake:start")
    except NoReverseMatch:
        return None


@gzip_page
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    language = _language()
    explainers = get_library().explainers_for(language)
    groups = [
        {"key": key, "label": label, "explainers": [e for e in explainers if e.question == key]}
        for key, label in QUESTIONS.items()
    ]
    return render(request, "rights/index.html", {"groups": groups, "language": language})


@gzip_page
@require_safe
def explainer(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()
    library = get_library()
    page = library.explainer(language, slug)
    if page is None:
        raise Http404("no such explainer")
    related = [r for r in (library.explainer(language, s) for s in page.related) if r]
    context = {
        "explainer": page,
        "language": language,
        "is_fallback": page.language != language,
        "related": related,
        "protecting_information": library.explainer(language, PROTECTING_INFORMATION),
        "intake_url": _intake_url(),
        # Pages about cases under way say when they may be out of date (rights/content.py).
        "out_of_date": page.may_be_out_of_date(timezone.localdate()),
    }
    return render(request, "rights/explainer.html", context)


@gzip_page
@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    language = _language()
    library = get_library()
    terms = [
        {"term": term, "used_in": library.explainers_using_term(language, term.slug)}
        for term in library.glossary_for(language)
    ]
    return render(request, "rights/glossary.html", {"terms": terms, "language": language})


@gzip_page
@require_safe
def search_view(request: HttpRequest) -> HttpResponse:
    language = _language()
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    results = search(get_library(), language, query) if query else []
    context = {"query": query, "results": results, "language": language}
    return render(request, "rights/search.html", context)
