"""The rights library's pages. Content comes from rights.content, parsed once per process.

Every page here except a search with a query is rendered once per process and then served from
memory with its gzip copy (rights/pages.py): `served_from_memory` marks them.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from rights.content import (
    MAX_QUERY_LENGTH,
    QUESTIONS,
    SOURCE_LANGUAGE,
    get_library,
    search,
)
from rights.pages import day_started, served_from_memory

# Rights pages are compressed (they must stay under 30 KB on a slow connection): the kept pages
# once, by rights/pages.py, and search results per request. They hold no secret or form token, so
# compressing them gives a BREACH-style attack nothing to find; pages that do hold secrets
# (intake, caseworker) are not compressed.

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


@served_from_memory()
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    language = _language()
    explainers = get_library().explainers_for(language)
    groups = [
        {"key": key, "label": label, "explainers": [e for e in explainers if e.question == key]}
        for key, label in QUESTIONS.items()
    ]
    return render(request, "rights/index.html", {"groups": groups, "language": language})


@served_from_memory()
@require_safe
def explainer(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()
    library = get_library()
    page = library.explainer(language, slug)
    if page is None:
        raise Http404("no such explainer")
    related = [r for r in (library.explainer(language, s) for s in page.related) if r]
    # Pages about cases under way say when they may be out of date (rights/content.py).
    out_of_date = page.may_be_out_of_date(timezone.localdate())
    context = {
        "explainer": page,
        "language": language,
        "is_fallback": page.language != language,
        "related": related,
        "protecting_information": library.explainer(language, PROTECTING_INFORMATION),
        "intake_url": _intake_url(),
        "out_of_date": out_of_date,
    }
    response = render(request, "rights/explainer.html", context)
    if out_of_date:
        # The page changed on the day the notice appeared (the kept page's Last-Modified).
        response.headers["Last-Modified"] = http_date(day_started(page.out_of_date_from()))
    return response


@served_from_memory()
@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    language = _language()
    library = get_library()
    terms = [
        {"term": term, "used_in": library.explainers_using_term(language, term.slug)}
        for term in library.glossary_for(language)
    ]
    return render(request, "rights/glossary.html", {"terms": terms, "language": language})


def search_query(request: HttpRequest) -> str:
    """The words searched for: sent by POST from the search form, so that they never reach the
    address bar or the history; a GET with ?q= (an old link) still answers."""
    source = request.POST if request.method == "POST" else request.GET
    return source.get("q", "")[:MAX_QUERY_LENGTH].strip()


def has_no_query(request: HttpRequest) -> bool:
    return not search_query(request)


# Searching changes nothing on the server, so the POST needs no CSRF token: the form, on the index
# and the search page, then holds no token and those pages stay the same for every reader.
@csrf_exempt
@served_from_memory(when=has_no_query)
@require_http_methods(["GET", "HEAD", "POST"])
def search_view(request: HttpRequest) -> HttpResponseBase:
    language = _language()
    query = search_query(request)
    results = search(get_library(), language, query) if query else []
    context = {"query": query, "results": results, "language": language}
    response = render(request, "rights/search.html", context)
    if not query:
        return response  # kept and compressed once (rights/pages.py)
    # Results are rendered for each query, and compressed as they go. The words are in the
    # page: the browser must not keep it.
    add_never_cache_headers(response)
    return GZipMiddleware(lambda request: response).process_response(request, response)
