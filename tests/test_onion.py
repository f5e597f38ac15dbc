"""The onion host (portal/onion.py): served over plain HTTP inside Tor, without an HTTPS redirect,
HSTS or Secure cookies; the clearnet site names the onion address in Onion-Location."""

from http.cookies import Morsel

import pytest
from django.core.exceptions import DisallowedHost
from django.test import Client, RequestFactory

from portal.onion import is_onion_request
from tests.production import PRODUCTION_ENV, SETTINGS_AS_JSON, run_django

ONION = "portalxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
CLEARNET = "portal.example.org"


@pytest.fixture
def production(settings):
    """Production's HTTPS settings (the test run turns the redirect off), behind Caddy."""
    settings.ALLOWED_HOSTS = [CLEARNET, ONION]
    settings.ONION_HOST = ONION
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def onion_client() -> Client:
    # As Caddy's onion listener hands the request on (deploy/Caddyfile).
    return Client(HTTP_HOST=ONION, HTTP_X_FORWARDED_PROTO="http")


def clearnet_client() -> Client:
    return Client(HTTP_HOST=CLEARNET, HTTP_X_FORWARDED_PROTO="https")


def cookies(response) -> list[Morsel]:
    return list(response.cookies.values())


@pytest.mark.django_db
def test_the_onion_host_is_served_without_a_redirect_or_hsts(production) -> None:
    response = onion_client().get("/en/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert "Onion-Location" not in response.headers


@pytest.mark.django_db
def test_no_hsts_on_the_onion_host_even_behind_tls(production) -> None:
    # Should an onion listener ever speak TLS, a browser must still not pin HTTPS on the onion.
    response = Client(HTTP_HOST=ONION, HTTP_X_FORWARDED_PROTO="https").get("/en/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.django_db
def test_plain_http_on_the_clearnet_host_is_still_redirected(production) -> None:
    response = Client(HTTP_HOST=CLEARNET, HTTP_X_FORWARDED_PROTO="http").get("/en/")
    assert response.status_code == 301
    assert response["Location"] == f"https://{CLEARNET}/en/"


@pytest.mark.django_db
def test_onion_cookies_work_over_http(production) -> None:
    # The consent form sets the CSRF cookie.
    response = onion_client().get("/en/intake/consent/")
    assert response.status_code == 200
    assert cookies(response), "the form page sets a cookie"
    for morsel in cookies(response):
        assert not morsel["secure"], morsel.key
        assert morsel["httponly"], morsel.key
        assert morsel["samesite"], morsel.key


@pytest.mark.django_db
def test_a_form_posts_over_the_onion(production) -> None:
    """Tor Browser sends Origin: http://<onion>, and the cookie comes back without Secure."""
    browser = Client(HTTP_HOST=ONION, HTTP_X_FORWARDED_PROTO="http", enforce_csrf_checks=True)
    page = browser.get("/en/intake/consent/")
    token = page.context["csrf_token"]
    response = browser.post(
        "/en/intake/account/",
        {"csrfmiddlewaretoken": token, "consent-age_group": "adult"},
        headers={"origin": f"http://{ONION}", "sec-fetch-site": "same-origin"},
    )
    assert response.status_code == 200  # the form again, asking for consent: not a CSRF 403


@pytest.mark.django_db
def test_clearnet_cookies_stay_secure(production) -> None:
    response = clearnet_client().get("/en/intake/consent/")
    assert cookies(response)
    assert all(morsel["secure"] for morsel in cookies(response))


@pytest.mark.django_db
def test_the_clearnet_site_names_the_onion_address(production) -> None:
    response = clearnet_client().get("/en/rights/search/?q=asylum")
    assert response["Onion-Location"] == f"http://{ONION}/en/rights/search/?q=asylum"
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")


@pytest.mark.django_db
def test_no_onion_location_without_an_onion_address(production) -> None:
    production.ONION_HOST = ""
    assert "Onion-Location" not in clearnet_client().get("/en/").headers


def test_an_onion_request_is_told_by_its_host(production) -> None:
    factory = RequestFactory()
    assert is_onion_request(factory.get("/", HTTP_HOST=ONION))
    assert is_onion_request(factory.get("/", HTTP_HOST=f"{ONION}:80"))
    assert not is_onion_request(factory.get("/", HTTP_HOST=CLEARNET))
    # A host ALLOWED_HOSTS refuses is not an onion request (Django answers it with a 400).
    refused = factory.get("/", HTTP_HOST="other.onion")
    with pytest.raises(DisallowedHost):
        refused.get_host()
    assert not is_onion_request(refused)


def test_onion_host_joins_allowed_hosts() -> None:
    env = {
        **PRODUCTION_ENV,
        "ONION_HOST": ONION.upper(),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    code = "import django; django.setup()\nfrom django.conf import settings\n"
    code += "print(settings.ALLOWED_HOSTS, settings.ONION_HOST)"
    result = run_django(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"['{CLEARNET}', '{ONION}'] {ONION}"


def test_an_onion_host_that_is_not_an_onion_is_refused() -> None:
    env = {
        **PRODUCTION_ENV,
        "ONION_HOST": "portal.example.net",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    result = run_django(["-c", "import django; django.setup()\n" + SETTINGS_AS_JSON], env)
    assert result.returncode != 0
    assert "ONION_HOST must end in .onion" in result.stderr
