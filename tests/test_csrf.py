"""CSRF protection still holds with `Referrer-Policy: no-referrer` (portal.middleware)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/en/intake/return/"


def browser_with_token(secure: bool = False) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL, secure=secure).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    return client, token.group(1)


def post(client: Client, token: str | None, secure: bool = False, **headers: str):
    data = {"receipt": "1"}
    if token:
        data["csrfmiddlewaretoken"] = token
    return client.post(URL, data, secure=secure, headers=headers)


def test_a_same_origin_form_with_origin_null_is_accepted() -> None:
    client, token = browser_with_token()
    response = post(client, token, origin="null", sec_fetch_site="same-origin")
    assert response.status_code == 400  # the form's own answer: the receipt is malformed


def test_a_cross_site_form_is_refused() -> None:
    client, token = browser_with_token()
    assert post(client, token, origin="null", sec_fetch_site="cross-site").status_code == 403
    assert post(client, token, origin="https://evil.example").status_code == 403


def test_the_token_is_still_required() -> None:
    client, _ = browser_with_token()
    assert post(client, None, origin="null", sec_fetch_site="same-origin").status_code == 403


def test_over_https_without_referer_fetch_metadata_stands_in_for_it(settings) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    client, token = browser_with_token(secure=True)
    assert post(client, token, secure=True, sec_fetch_site="same-origin").status_code == 400
    # Without fetch metadata, Django's own rule applies: no Referer over HTTPS is refused.
    assert post(client, token, secure=True).status_code == 403
