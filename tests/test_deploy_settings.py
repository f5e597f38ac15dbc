"""Production settings: `check --deploy` is clean, secrets are required, NAME_FILE is honoured."""

import json
from pathlib import Path

import pytest

from tests.production import PRODUCTION_ENV, SETTINGS_AS_JSON, run_django


def test_check_deploy_reports_nothing_with_production_settings() -> None:
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    # Two silenced: Django's checks that look for its CSRF and security middleware by name,
    # replaced by portal.E001 and portal.check_security_middleware (tested below).
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_a_missing_csrf_middleware_is_an_error(settings) -> None:
    from portal.checks import check_csrf_middleware

    assert check_csrf_middleware() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Csrf" not in m]
    assert [error.id for error in check_csrf_middleware()] == ["portal.E001"]


def test_djangos_security_checks_still_run_for_the_onion_aware_middleware(settings) -> None:
    from portal.checks import check_security_middleware

    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_SSL_REDIRECT = True
    assert check_security_middleware() == []
    settings.SECURE_HSTS_SECONDS = 0
    settings.SECURE_SSL_REDIRECT = False
    assert {m.id for m in check_security_middleware()} == {"security.W004", "security.W008"}
    onion_aware = "portal.onion.OnionAwareSecurityMiddleware"
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != onion_aware]
    assert [m.id for m in check_security_middleware()] == ["portal.W002"]


def test_it_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_django(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_it_reads_secrets_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-a-docker-secret-" + "x" * 50 + "\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(secret_file)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    result = run_django(["-c", "import django; django.setup()\n" + SETTINGS_AS_JSON], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SECRET_KEY"] == "from-a-docker-secret-" + "x" * 50


def test_production_runs_tasks_on_the_worker_not_in_process(production_settings) -> None:
    assert production_settings["CELERY_TASK_ALWAYS_EAGER"] is False


def test_a_malformed_boolean_is_an_error_not_a_guess() -> None:
    result = run_django(["manage.py", "check"], {**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize(
    "name", ["SECRET_KEY", "RECEIPT_LOOKUP_KEY", "MFA_SECRETS_KEY", "DATABASE_URL", "ADMIN_URL"]
)
def test_it_refuses_to_start_with_an_example_value(name: str) -> None:
    example = {
        "DATABASE_URL": "postgres://portal:change-me@postgres:5432/portal",
        "ADMIN_URL": "change-me-admin/",
    }.get(name, "change-me-to-50-random-characters")
    result = run_django(["manage.py", "check"], {**PRODUCTION_ENV, name: example})
    assert result.returncode != 0
    assert f"{name} still holds the example value" in result.stderr
    assert "change-me-to-50" not in result.stderr.replace(f"{name} still holds", "")


def test_it_refuses_an_example_value_read_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "email_password"
    secret_file.write_text("change-me\n")
    env = {**PRODUCTION_ENV, "EMAIL_HOST_PASSWORD_FILE": str(secret_file)}
    result = run_django(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "EMAIL_HOST_PASSWORD still holds the example value" in result.stderr


ADMIN_STATUS = """
import django
django.setup()
from django.test import Client
print(Client().get("/staff-admin-7f3c/login/", secure=True).status_code)
"""


def test_the_admin_is_not_mounted_in_production_unless_turned_on() -> None:
    # Static files from the source folders: the 404 page links them, and nothing was collected.
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "STATIC_FROM_FINDERS": "1",
    }
    env.pop("ADMIN_ENABLED")
    result = run_django(["-c", ADMIN_STATUS], {**env, "ALLOWED_HOSTS": "testserver"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "404"
    result = run_django(
        ["-c", ADMIN_STATUS], {**env, "ALLOWED_HOSTS": "testserver", "ADMIN_ENABLED": "1"}
    )
    assert result.stdout.strip() == "302"  # to the sign-in through allauth
