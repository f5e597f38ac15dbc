"""Rights pages rendered once and served from memory (rights/pages.py, issue 16).

Served from memory means: no template is rendered for the request (`response.templates` is
empty). Timings are measured by `make bench`, never here.
"""

import gzip
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.csp import LazyNonce
from django.utils.http import http_date, parse_http_date

import rights.content
from rights import pages
from rights.content import get_library
from rights.pages import STORE, accepts_gzip, day_started, keep
from tests.test_security_headers import header_problems, header_values

pytestmark = pytest.mark.django_db

EXPLAINER = "/en/rights/what-is-gender-persecution/"
KEPT = [
    "/en/rights/",
    EXPLAINER,
    "/ar/rights/asylum-lgbtqi/",
    "/fa/rights/glossary/",
    "/uk/rights/search/",
]


def kept_paths() -> set[str]:
    return set(STORE.pages())


# --- Served from memory, exactly as rendered ---------------------------------------------------


@pytest.mark.parametrize("path", KEPT)
def test_a_page_is_rendered_once_then_served_from_memory_unchanged(path: str) -> None:
    first = Client().get(path)
    second = Client().get(path)
    assert first.status_code == second.status_code == 200
    assert [t.name for t in first.templates]  # rendered
    assert second.templates == []  # from memory
    assert second.content == first.content
    assert header_values(second) == header_values(first)
    assert kept_paths() == {path}


def test_a_kept_page_carries_the_same_headers_as_one_rendered_for_the_request() -> None:
    # The same page with the store switched off (the middleware finds nothing to serve and keeps
    # nothing) against the same page from memory: the same security headers, and only the
    # validators and compression headers added.
    from unittest import mock

    with mock.patch.object(pages, "keep", return_value=None):
        rendered = Client().get(EXPLAINER)
    assert kept_paths() == set()
    Client().get(EXPLAINER)
    kept = Client().get(EXPLAINER)
    assert kept.templates == []
    assert rendered.content == kept.content
    before, after = header_values(rendered), header_values(kept)
    added = {"etag", "last-modified", "cache-control", "vary"}
    assert set(after) - set(before) == added
    assert {k: v for k, v in after.items() if k not in added} == before
    assert header_problems(after, private=False, hsts=False) == []


def test_the_empty_search_page_is_kept_whatever_empty_query_it_had() -> None:
    Client().get("/en/rights/search/?q=")
    for query in ("", "?q=", "?q=%20%20", "?other=1"):
        response = Client().get("/en/rights/search/" + query)
        assert response.templates == [], query
        assert "Type a word" in response.content.decode()


def test_a_search_with_a_query_is_rendered_for_each_request() -> None:
    Client().get("/en/rights/search/")  # the empty search page is kept
    for _ in range(2):
        response = Client().get("/en/rights/search/?q=asylum")
        assert response.templates != []
        assert 'class="search-results"' in response.content.decode()
    assert kept_paths() == {"/en/rights/search/"}


def test_a_missing_page_a_post_and_staff_and_intake_pages_are_never_kept() -> None:
    client = Client(raise_request_exception=False)
    assert client.get("/en/rights/no-such-topic/").status_code == 404
    assert client.post(EXPLAINER).status_code == 405
    for path in ("/en/intake/consent/", "/accounts/login/", "/en/help/", "/en/"):
        for _ in range(2):
            response = client.get(path)
            assert response.templates != [], path
    consent = client.get("/en/intake/consent/")
    assert "no-store" in consent["Cache-Control"]
    assert kept_paths() == set()


def test_a_page_served_under_a_script_prefix_is_kept_apart() -> None:
    # Behind a proxy that mounts the portal under a prefix, the language links (built from the
    # request's path, portal/context_processors.py) carry the prefix.
    prefixed = Client().get(EXPLAINER, SCRIPT_NAME="/portal")
    assert f'href="/portal{EXPLAINER}"' in prefixed.content.decode()
    plain = Client().get(EXPLAINER)
    assert plain.templates != []
    assert f'href="{EXPLAINER}"' in plain.content.decode()
    assert 'href="/portal/' not in plain.content.decode()


def test_an_unknown_host_is_refused_even_for_a_kept_page() -> None:
    Client().get(EXPLAINER)
    response = Client(raise_request_exception=False).get(
        EXPLAINER, headers={"host": "evil.example"}
    )
    assert response.status_code == 400


# --- Nothing about the reader, no Vary hole -----------------------------------------------------


def test_a_kept_page_is_the_same_for_a_caseworker_with_no_cookie_or_csrf_token() -> None:
    from tests.caseworker.conftest import make_persona, sign_in

    caseworker = sign_in(Client(), make_persona("reader@example.org", languages=["en"]))
    assert caseworker.cookies  # a session and the key cookie
    # A signed-in caseworker's request reads the session: it is served as rendered, not kept.
    first = caseworker.get(EXPLAINER)
    assert first.status_code == 200
    assert kept_paths() == set()
    anonymous = Client().get(EXPLAINER)
    assert kept_paths() == {EXPLAINER}
    caseworker.cookies["django_language"] = "fa"
    kept = caseworker.get(EXPLAINER, headers={"accept-language": "fa"})
    assert kept.templates == []
    assert kept.content == anonymous.content == first.content
    assert not kept.cookies
    assert "set-cookie" not in header_values(kept)
    body = kept.content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert "csrftoken" not in body
    # The one request header that changes what is sent is named in Vary, and it is the only one.
    assert kept["Vary"] == "Accept-Encoding"
    compressed = caseworker.get(EXPLAINER, headers={"accept-encoding": "gzip"})
    assert compressed["Vary"] == "Accept-Encoding"


def keep_for(
    response_changes: dict[str, str],
    *,
    cookie: bool = False,
    status: int = 200,
    nonce_used: bool = False,
    own_csp: bool = False,
):
    request = RequestFactory().get(EXPLAINER)
    # As the explainer view, marked with served_from_memory, leaves it.
    request.META[pages._MARK] = (pages._generation(), lambda request: True)
    nonce = LazyNonce()  # as ContentSecurityPolicyMiddleware sets it
    request._csp_nonce = nonce  # type: ignore[attr-defined]
    if nonce_used:
        str(nonce)
    response = HttpResponse("<p>page</p>", status=status)
    if own_csp:  # as django.views.decorators.csp.csp_override does
        response._csp_config = {"default-src": ["'none'"]}  # type: ignore[attr-defined]
    for name, value in response_changes.items():
        response.headers[name] = value
    if cookie:
        response.set_cookie("sessionid", "x")
    return keep(request, response)


def test_a_response_that_read_the_session_or_a_csrf_token_or_sets_a_cookie_is_not_kept() -> None:
    # Django adds `Vary: Cookie` when a page reads the session or asks for a CSRF token: such a
    # page depends on its reader.
    assert keep_for({}) is not None
    assert keep_for({"Vary": "Cookie"}) is None
    assert keep_for({"Vary": "Accept-Language"}) is None
    assert keep_for({}, cookie=True) is None
    assert keep_for({"Cache-Control": "no-store"}) is None
    assert keep_for({"Content-Encoding": "gzip"}) is None
    assert keep_for({}, status=404) is None
    # A nonce is for one response; a view's own policy would not follow the kept copy.
    assert keep_for({}, nonce_used=True) is None
    assert keep_for({}, own_csp=True) is None


def test_only_the_marked_rights_views_are_kept() -> None:
    request = RequestFactory().get("/en/intake/consent/")
    assert keep(request, HttpResponse("<p>form</p>")) is None
    for path in KEPT:
        Client().get(path)
    assert kept_paths() == set(KEPT)


def test_the_intake_works_and_reads_no_content_when_the_content_cannot_be_read(
    content_copy: Path,
) -> None:
    Client().get(EXPLAINER)  # a kept page, so that the store is in use
    broken = content_copy / "en" / "asylum-lgbtqi.md"
    broken.write_text(broken.read_text().replace('summary = "', 'summery = "', 1))
    get_library.cache_clear()
    client = Client(raise_request_exception=False)
    assert client.get("/en/intake/consent/").status_code == 200
    assert client.get("/en/help/").status_code == 200
    # The rights pages fail as they did before pages were kept, and nothing stale is served.
    assert client.get(EXPLAINER).status_code == 500
    assert kept_paths() == set()


# --- One language, one page ---------------------------------------------------------------------


def test_each_language_gets_its_own_page_never_another() -> None:
    languages = [code for code, _ in django_settings.LANGUAGES]
    for _ in range(2):  # rendered, then from memory
        bodies = {}
        for code in languages:
            # Every request claims another language in every other way it can.
            response = Client().get(
                f"/{code}/rights/what-is-gender-persecution/",
                headers={"accept-language": "ar" if code != "ar" else "en"},
            )
            assert response["Content-Language"] == code
            body = response.content.decode()
            assert f'<html lang="{code}"' in body
            bodies[code] = body
        assert len(set(bodies.values())) == len(languages)


# --- Compression --------------------------------------------------------------------------------


def test_the_gzip_copy_is_the_same_page_with_its_own_etag() -> None:
    plain = Client().get(EXPLAINER, headers={"accept-encoding": "identity"})
    compressed = Client().get(EXPLAINER, headers={"accept-encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 2
    assert compressed["ETag"] != plain["ETag"]
    assert plain["Vary"] == compressed["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    ("header", "gzip_accepted"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("deflate, gzip;q=1.0, *;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header: str, gzip_accepted: bool) -> None:
    assert accepts_gzip(header) is gzip_accepted


def test_a_client_that_refuses_gzip_gets_the_plain_page() -> None:
    Client().get(EXPLAINER)
    response = Client().get(EXPLAINER, headers={"accept-encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response
    assert b"<!doctype html>" in response.content


# --- Revalidation -------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_returning_browser_gets_a_304_with_every_security_header(encoding: str) -> None:
    first = Client().get(EXPLAINER, headers={"accept-encoding": encoding})
    assert first["Cache-Control"] == "no-cache"
    again = Client().get(
        EXPLAINER, headers={"accept-encoding": encoding, "if-none-match": first["ETag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Vary"] == "Accept-Encoding"
    assert header_problems(header_values(again), private=False, hsts=False) == []
    assert not again.cookies


def test_if_modified_since_is_answered_from_the_content_date() -> None:
    first = Client().get(EXPLAINER)
    modified = first["Last-Modified"]
    assert Client().get(EXPLAINER, headers={"if-modified-since": modified}).status_code == 304
    earlier = http_date(parse_http_date(modified) - 1)
    assert Client().get(EXPLAINER, headers={"if-modified-since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 section 13.2.2).
    both = {"if-modified-since": modified, "if-none-match": '"another-page"'}
    assert Client().get(EXPLAINER, headers=both).status_code == 200


def test_an_etag_of_another_page_or_version_gets_the_whole_page() -> None:
    etag = Client().get("/fr/rights/what-is-gender-persecution/")["ETag"]
    response = Client().get(EXPLAINER, headers={"if-none-match": etag})
    assert response.status_code == 200
    weak = Client().get(EXPLAINER)["ETag"].replace('"', 'W/"', 1)
    assert Client().get(EXPLAINER, headers={"if-none-match": weak}).status_code == 304


def test_last_modified_is_the_newest_content_template_or_catalogue_file() -> None:
    response = Client().get(EXPLAINER)
    newest = max(get_library().modified, pages._code_modified())
    assert parse_http_date(response["Last-Modified"]) == int(newest)


# --- What a page depends on: content version, day, settings -------------------------------------


@pytest.fixture
def content_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The content in a folder of its own; `redeploy()` reads it again as a new process would."""
    copy = tmp_path / "content"
    shutil.copytree(rights.content.CONTENT_DIR, copy)
    monkeypatch.setattr(rights.content, "CONTENT_DIR", copy)
    get_library.cache_clear()
    yield copy
    get_library.cache_clear()


def test_a_changed_markdown_file_gives_a_new_page_after_a_deploy_without_a_flush(
    content_copy: Path,
) -> None:
    before = Client().get(EXPLAINER)
    assert Client().get(EXPLAINER).templates == []
    source = content_copy / "en" / "what-is-gender-persecution.md"
    text = source.read_text()
    source.write_text(text.replace("What is gender persecution?", "What gender persecution is", 1))
    get_library.cache_clear()  # the deploy: a new process parses the content again
    after = Client().get(EXPLAINER)
    assert after.templates != []
    assert "What gender persecution is" in after.content.decode()
    assert after["ETag"] != before["ETag"]
    assert parse_http_date(after["Last-Modified"]) >= int(source.stat().st_mtime)
    # The other languages' pages were rendered anew too, from the same new version.
    assert Client().get("/fr/rights/what-is-gender-persecution/").templates != []


def test_the_content_version_changes_with_any_content_file(content_copy: Path) -> None:
    version = get_library().version
    glossary = content_copy / "fr" / "glossary.toml"
    glossary.write_text(glossary.read_text() + "\n")
    get_library.cache_clear()
    assert get_library().version != version


def ongoing_explainer() -> rights.content.Explainer:
    english = get_library().explainers["en"]
    return next(e for e in english.values() if e.ongoing)


def test_a_new_day_gives_a_new_page_when_the_out_of_date_notice_appears(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    explainer = ongoing_explainer()
    path = f"/en/rights/{explainer.slug}/"
    first_day = explainer.out_of_date_from()
    today = {"day": first_day - timedelta(days=1)}
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today["day"])
    current = Client().get(path)
    assert 'class="notice" data-review-notice' in current.content.decode()
    assert Client().get(path).templates == []
    today["day"] = first_day
    outdated = Client().get(path)
    assert outdated.templates != []
    assert 'class="warning" data-review-notice' in outdated.content.decode()
    assert outdated["ETag"] != current["ETag"]
    assert parse_http_date(outdated["Last-Modified"]) == day_started(first_day)
    assert parse_http_date(current["Last-Modified"]) < day_started(first_day)
    # The browser holding yesterday's page gets today's, whichever validator it sends.
    for validator in (
        {"if-none-match": current["ETag"]},
        {"if-modified-since": current["Last-Modified"]},
    ):
        assert Client().get(path, headers=validator).status_code == 200
    # Yesterday's pages are gone from memory, not kept beside today's.
    assert kept_paths() == {path}


def test_a_change_of_the_retention_setting_gives_pages_that_say_so(settings) -> None:
    assert "365 days" in Client().get(EXPLAINER).content.decode()
    settings.RETENTION_DAYS_AFTER_CLOSE = 30
    page = Client().get(EXPLAINER).content.decode()
    assert "30 days" in page
    assert "365 days" not in page


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RETENTION_DAYS_AFTER_CLOSE", 30),
        ("SITE_NAME", "Another name"),
        ("QUICK_EXIT_URL", "https://example.org/"),
    ],
)
def test_the_generation_names_every_setting_a_page_shows(
    monkeypatch: pytest.MonkeyPatch, name: str, value: object
) -> None:
    # Without Django's setting_changed signal (which also empties the store): the key itself
    # changes.
    before = pages._generation()
    monkeypatch.setattr(django_settings, name, value)
    assert pages._generation() != before


def test_the_store_holds_one_page_per_path_and_language_at_most() -> None:
    library = get_library()
    languages = [code for code, _ in django_settings.LANGUAGES]
    paths = []
    for code in languages:
        paths += [f"/{code}/rights/", f"/{code}/rights/glossary/", f"/{code}/rights/search/"]
        paths += [f"/{code}/rights/{slug}/" for slug in library.explainers["en"]]
    for _ in range(2):
        for path in paths:
            assert Client().get(path).status_code == 200, path
    for slug in ("no-such-topic", "another-missing-one"):
        Client().get(f"/en/rights/{slug}/")
    assert kept_paths() == set(paths)
    size = sum(
        len(page.identity.body) + len(page.gzip.body if page.gzip else b"")
        for page in STORE.pages().values()
    )
    # About 20 KB a page with its gzip copy; the whole library well under 10 MB per process.
    assert size < 10 * 1024 * 1024
