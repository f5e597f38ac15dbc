"""The quick exit ends a returning survivor's session on the server (issue 12, "a seized phone"),
and the session's cache entry says nothing of the case without the cookie.

The browser side (Back, reload, the back-forward cache, with and without JavaScript) is in
tests/intake/test_quick_exit_browser.py.
"""

import base64
import pickle
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from intake import access
from intake.key_sessions import COOKIE_NAME, _cache_key
from intake.models import Case
from tests.intake.conftest import account_data, send
from tests.intake.test_cache_down import cache_down  # noqa: F401 (a fixture)
from tests.test_security_headers import header_problems, header_values

pytestmark = pytest.mark.django_db


def returned(client: Client, narrative: str = "my account") -> tuple[Case, str]:
    """Send an account, then come back with its receipt: (the case, the receipt)."""
    _, receipt = send(client, account_data(narrative=narrative))
    assert receipt
    response = client.post("/en/intake/return/", {"receipt": receipt})
    assert response.status_code == 302
    return Case.objects.get(), receipt


def raw_cache_value(key: str) -> bytes:
    """The bytes the cache holds for `key`, as someone reading Redis (or its memory) sees them."""
    backend = cache._cache  # type: ignore[attr-defined]
    if hasattr(backend, "get_client"):
        value = backend.get_client().get(cache.make_key(key))
        assert value is not None
        return bytes(value)
    return pickle.dumps(cache.get(key))


def session_token(client: Client) -> str:
    return client.cookies[COOKIE_NAME].value.partition(".")[0]


def test_the_session_entry_holds_neither_the_case_id_nor_the_case_key(
    client: Client, service_keys
) -> None:
    case, receipt = returned(client)
    raw = raw_cache_value(_cache_key(session_token(client)))
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    case_key = opened[1]
    public_id = uuid.UUID(case.case_id)
    for needle in (
        case.case_id.encode(),
        public_id.hex.encode(),
        public_id.bytes,
        case_key,
        case_key.hex().encode(),
        base64.b64encode(case_key),
        base64.urlsafe_b64encode(case_key),
    ):
        assert needle not in raw
    # The entry is useless without the cookie's half, and useless under another token.
    assert client.get("/en/intake/my-account/").status_code == 200
    token = session_token(client)
    other_key = base64.urlsafe_b64encode(bytes(32)).decode()
    client.cookies[COOKIE_NAME] = f"{token}.{other_key}"
    assert client.get("/en/intake/my-account/")["Location"] == "/en/intake/return/?expired=1"


def test_an_entry_moved_under_another_token_opens_nothing(client: Client, service_keys) -> None:
    returned(client)
    token, _, unlock = client.cookies[COOKIE_NAME].value.partition(".")
    cache.set(_cache_key("another-token"), cache.get(_cache_key(token)), timeout=60)
    client.cookies[COOKIE_NAME] = f"another-token.{unlock}"
    assert client.get("/en/intake/my-account/")["Location"] == "/en/intake/return/?expired=1"


def test_the_quick_exit_ends_the_session_and_sends_the_browser_on(
    client: Client, service_keys
) -> None:
    returned(client)
    token = session_token(client)
    assert cache.get(_cache_key(token)) is not None
    response = client.get("/en/intake/exit/")
    assert response.status_code == 302
    assert response["Location"] == settings.QUICK_EXIT_URL
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
    assert cache.get(_cache_key(token)) is None
    # Even with the old cookie sent again (a browser that ignored the deletion), nothing opens.
    client.cookies[COOKIE_NAME] = f"{token}.{base64.urlsafe_b64encode(bytes(32)).decode()}"
    assert client.get("/en/intake/my-account/")["Location"].startswith("/en/intake/return/")


def test_after_the_quick_exit_back_shows_the_plain_receipt_form(
    client: Client, service_keys
) -> None:
    returned(client, narrative="only for me")
    client.get("/ar/intake/exit/")
    response = client.get("/en/intake/my-account/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [("/en/intake/return/", 302)]
    assert "only for me" not in page
    # Not "you were signed out": that would tell whoever holds the phone there was an account.
    assert "signed out" not in page


def test_the_exit_address_carries_every_security_header_and_no_store(client: Client) -> None:
    response = client.get("/fa/intake/exit/")
    assert header_problems(header_values(response), private=True, hsts=False) == []
    assert "no-store" in response["Cache-Control"]
    assert client.post("/en/intake/exit/").status_code == 405


def test_the_quick_exit_works_without_a_session_and_with_the_cache_down(
    client: Client, service_keys, request: pytest.FixtureRequest
) -> None:
    returned(client)
    request.getfixturevalue("cache_down")
    response = client.get("/en/intake/exit/")
    assert response.status_code == 302
    assert response["Location"] == settings.QUICK_EXIT_URL
    assert response.cookies[COOKIE_NAME].value == ""
    assert Client().get("/en/intake/exit/")["Location"] == settings.QUICK_EXIT_URL


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "the quick exit also signs you out"), ("fr", "la sortie rapide vous déconnecte")],
)
def test_the_help_page_says_that_the_quick_exit_signs_her_out(
    client: Client, lang: str, words: str
) -> None:
    # What a survivor reads is what the code does (docs/security.md, section 7): pressed by mistake,
    # the quick exit means typing the receipt code again.
    assert words in client.get(f"/{lang}/help/").content.decode()
