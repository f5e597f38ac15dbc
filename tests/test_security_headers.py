"""Every kind of response carries the security baseline (issue 2, docs/security.md, section 4)."""

import json
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


# --- Every response class, each header (issue 7) ---------------------------------------------
#
# One request per class of response a browser can get. `private` marks the classes that can show
# case data or a form: they must never be kept in the browser's cache.


def header_problems(headers: dict[str, str], *, private: bool, hsts: bool) -> list[str]:
    """What is missing or wrong in one response's security headers ([] when all is well)."""
    problems = []
    expected = {
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "x-frame-options": "DENY",
    }
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name}: {headers.get(name)!r}")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        if feature not in headers.get("permissions-policy", ""):
            problems.append(f"permissions-policy lacks {feature}")
    policy = headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    if directives.get("default-src") != ["'none'"]:
        problems.append(f"content-security-policy: {policy!r}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("content-security-policy without frame-ancestors 'none'")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append("content-security-policy allows inline code")
    cache_control = {part.strip() for part in headers.get("cache-control", "").split(",")}
    if private and "no-store" not in cache_control:
        problems.append(f"cache-control: {headers.get('cache-control')!r} lacks no-store")
    if hsts:
        hsts_value = headers.get("strict-transport-security", "")
        max_age = re.search(r"max-age=(\d+)", hsts_value)
        if not max_age or int(max_age.group(1)) < 31536000:
            problems.append(f"strict-transport-security: {hsts_value!r}")
        elif "includeSubDomains" not in hsts_value:
            problems.append("strict-transport-security without includeSubDomains")
    return problems


def staff_client() -> Client:
    """A caseworker signed in with password and TOTP, as a browser would be."""
    from tests.caseworker.conftest import make_persona, sign_in

    persona = make_persona("headers@example.org", languages=["en"])
    return sign_in(Client(raise_request_exception=False), persona)


def csrf_failure(client: Client) -> object:
    """A form posted without its token: Django's CSRF check refuses it (403)."""
    return Client(enforce_csrf_checks=True).post("/en/intake/account/", {"consent-age_group": "x"})


def kept_page(client: Client) -> object:
    """A rights page served from memory (rights/pages.py): the second request for it."""
    client.get("/ar/rights/")
    return client.get("/ar/rights/")


def revalidated_page(client: Client) -> object:
    """A returning browser's copy of a rights page is still current: 304."""
    etag = client.get("/ar/rights/", headers={"accept-encoding": "gzip"})["ETag"]
    return client.get("/ar/rights/", headers={"accept-encoding": "gzip", "if-none-match": etag})


# name: (private, what to request, expected status)
RESPONSE_CLASSES = {
    "survivor page": (False, lambda c: c.get("/ar/rights/"), 200),
    "survivor page from memory": (False, kept_page, 200),
    "survivor page revalidated (304)": (False, revalidated_page, 304),
    "intake form": (True, lambda c: c.get("/en/intake/consent/"), 200),
    "receipt entry form": (True, lambda c: c.get("/fa/intake/return/"), 200),
    "caseworker page with MFA": (True, lambda c: staff_client().get("/caseworker/"), 200),
    "second-factor settings": (True, lambda c: staff_client().get("/accounts/2fa/"), 200),
    "caseworker sign-in": (True, lambda c: c.get("/accounts/login/"), 200),
    "admin login (redirect)": (True, lambda c: c.get(f"/{settings.ADMIN_URL}login/"), 302),
    "admin login (allauth page)": (
        True,
        lambda c: c.get(f"/{settings.ADMIN_URL}login/", follow=True),
        200,
    ),
    "static stylesheet": (False, lambda c: c.get("/static/css/portal.css"), 200),
    "static SVG": (False, lambda c: c.get("/static/favicon.svg"), 200),
    "JSON health check": (False, lambda c: c.get("/healthz"), 200),
    "404": (False, lambda c: c.get("/en/no-such-page/"), 404),
    "500": (False, lambda c: c.get("/en/fail/"), 500),
    "403 CSRF failure": (True, csrf_failure, 403),
    "400 bad host": (False, lambda c: c.get("/en/", headers={"host": "evil.example"}), 400),
    "redirect to a language": (False, lambda c: c.get("/"), 302),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", RESPONSE_CLASSES)
def test_each_response_class_carries_every_security_header(settings, name: str) -> None:
    # The 500 comes from a view that fails, added on top of the portal's own URLs.
    settings.ROOT_URLCONF = "tests.urls_with_error"
    private, request, status = RESPONSE_CLASSES[name]
    response = request(Client(raise_request_exception=False))
    assert response.status_code == status
    if name == "admin login (redirect)":
        # The admin signs in through allauth (and so through MFA), not its own form.
        assert response["Location"].startswith("/accounts/login/")
    assert header_problems(header_values(response), private=private, hsts=False) == []


def test_the_header_check_itself_catches_each_fault() -> None:
    # header_problems() guards every class above; a fault it let through would pass them all.
    good = {
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "x-frame-options": "DENY",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
        "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
        "cache-control": "max-age=0, no-cache, no-store, must-revalidate, private",
        "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
    }
    assert header_problems(good, private=True, hsts=True) == []
    faults = [
        ("x-frame-options", "SAMEORIGIN"),
        ("referrer-policy", "same-origin"),
        ("permissions-policy", "camera=()"),
        ("content-security-policy", "default-src 'none'"),
        ("content-security-policy", "default-src 'none'; script-src 'self' 'unsafe-inline'"),
        ("cache-control", "max-age=60, public"),
        ("strict-transport-security", "max-age=300"),
    ]
    for name, value in faults:
        assert header_problems({**good, name: value}, private=True, hsts=True), (name, value)
    for name in good:
        missing = {key: value for key, value in good.items() if key != name}
        assert header_problems(missing, private=True, hsts=True), name


# In production the same classes, over HTTPS as the TLS proxy hands them on, plus HSTS; and a
# plain-HTTP request, which is redirected to HTTPS with the baseline headers (HSTS is sent only
# over HTTPS, as RFC 6797 requires). Static files are served as in production: hashed, compressed
# copies collected into STATIC_ROOT.
PRODUCTION_REQUESTS = """
import json, os, sys
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
from django.templatetags.static import static
from tests.caseworker.conftest import make_persona

host = settings.ALLOWED_HOSTS[0]
def client(**options):
    return Client(raise_request_exception=False, HTTP_HOST=host, **options)

# Signing in over HTTPS: password, then the TOTP code.
persona = make_persona("production-headers@example.org", languages=["en"])
staff = client()
login = {"login": persona.user.email, "password": persona.password}
second_factor = staff.post("/accounts/login/", login, secure=True)["Location"]
assert staff.post(second_factor, {"code": persona.totp_code()}, secure=True).status_code == 302
anonymous = client()
csrf_client = client(enforce_csrf_checks=True)
admin = "/" + settings.ADMIN_URL
def revalidated():
    etag = anonymous.get("/ar/rights/", secure=True)["ETag"]
    return anonymous.get("/ar/rights/", secure=True, headers={"if-none-match": etag})

requests = {
    "survivor page": lambda: anonymous.get("/ar/rights/", secure=True),
    "survivor page from memory": lambda: anonymous.get("/ar/rights/", secure=True),
    "survivor page revalidated (304)": revalidated,
    "intake form": lambda: anonymous.get("/en/intake/consent/", secure=True),
    "caseworker page with MFA": lambda: staff.get("/caseworker/", secure=True),
    "second-factor settings": lambda: staff.get("/accounts/2fa/", secure=True),
    "caseworker sign-in": lambda: anonymous.get("/accounts/login/", secure=True),
    "admin login (redirect)": lambda: anonymous.get(admin + "login/", secure=True),
    "static stylesheet": lambda: anonymous.get(static("css/portal.css"), secure=True),
    "404": lambda: anonymous.get("/en/no-such-page/", secure=True),
    "403 CSRF failure": lambda: csrf_client.post("/en/intake/account/", {}, secure=True),
    "400 bad host": lambda: anonymous.get("/en/", secure=True, headers={"host": "evil.example"}),
    "redirect to a language": lambda: anonymous.get("/", secure=True),
    "plain HTTP": lambda: anonymous.get("/en/"),
}
results = {}
for name, request in requests.items():
    response = request()
    results[name] = [response.status_code, dict(response.headers.items())]
with override_settings(ROOT_URLCONF="tests.urls_with_error"):
    response = anonymous.get("/en/fail/", secure=True)
    results["500"] = [response.status_code, dict(response.headers.items())]
results["static path"] = static("css/portal.css")
with open(sys.argv[1], "w") as out:
    json.dump(results, out)
"""


@pytest.mark.services
def test_production_sends_every_header_and_hsts_on_each_class(
    transactional_db: None, tmp_path: Path
) -> None:
    from tests.conftest import database_url_for_test_database
    from tests.production import PRODUCTION_ENV, run_django

    env = {
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        # The real services of this test run, in place of the compose file's host names.
        "DATABASE_URL": database_url_for_test_database(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_HOST": "",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    collected = run_django(["manage.py", "collectstatic", "--no-input", "-v0"], env)
    assert collected.returncode == 0, collected.stderr
    output = tmp_path / "headers.json"
    result = run_django(["-c", PRODUCTION_REQUESTS, str(output)], env)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(output.read_text())
    # Served from the collected, hashed copy, as production does.
    assert re.fullmatch(r"/static/css/portal\.[0-9a-f]{12}\.css", results.pop("static path"))
    expected_status = {
        "survivor page": 200,
        "survivor page from memory": 200,
        "survivor page revalidated (304)": 304,
        "intake form": 200,
        "caseworker page with MFA": 200,
        "second-factor settings": 200,
        "caseworker sign-in": 200,
        "admin login (redirect)": 302,
        "static stylesheet": 200,
        "404": 404,
        "403 CSRF failure": 403,
        "400 bad host": 400,
        "redirect to a language": 302,
        "plain HTTP": 301,
        "500": 500,
    }
    assert {name: status for name, (status, _) in results.items()} == expected_status
    problems = {}
    for name, (_, raw_headers) in results.items():
        headers = {key.lower(): value for key, value in raw_headers.items()}
        private = name in RESPONSE_CLASSES and RESPONSE_CLASSES[name][0]
        found = header_problems(headers, private=private, hsts=name != "plain HTTP")
        if found:
            problems[name] = found
    assert problems == {}
    plain = {key.lower(): value for key, value in results["plain HTTP"][1].items()}
    assert plain["location"].startswith("https://")
