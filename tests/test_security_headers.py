"""Every kind of response carries the security baseline (issue 2, DESIGN.md invariant 4)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

# One URL per response class: survivor page, 404, JSON health check, static file, staff login,
# admin (redirect), and a redirect from the bare root to a language.
URLS = [
    "/en/",
    "/ar/help/",
    "/en/this-page-does-not-exist/",
    "/healthz",
    "/static/css/portal.css",
    "/accounts/login/",
    f"/{settings.ADMIN_URL}",
    "/",
]


def header_values(response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
def test_every_response_carries_the_baseline_headers(client: Client, url: str) -> None:
    response = client.get(url)
    headers = header_values(response)
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in headers["permissions-policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/en/", "/fa/help/", "/en/missing/", "/accounts/login/"])
def test_pages_forbid_inline_code_and_other_origins(client: Client, url: str) -> None:
    policy = header_values(client.get(url))["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert not re.search(r"https?:|\*", policy), policy


def test_templates_contain_no_inline_script_or_style() -> None:
    # The CSP would block them anyway; this catches them before a user sees a broken page.
    offenders = []
    template_dirs = [
        Path(settings.BASE_DIR) / "templates",
        *Path(settings.BASE_DIR).glob("*/templates"),
    ]
    for directory in template_dirs:
        for template in directory.rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
                offenders.append(f"{template}: inline <script>")
            if re.search(r"<style\b|\sstyle=|\son[a-z]+=", text):
                offenders.append(f"{template}: inline style or event handler")
    assert offenders == []


def test_production_settings_turn_on_hsts_and_secure_cookies(production_settings) -> None:
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert production_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production_settings["SESSION_COOKIE_SECURE"] is True
    assert production_settings["CSRF_COOKIE_SECURE"] is True
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["DEBUG"] is False
