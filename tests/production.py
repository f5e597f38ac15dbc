"""Run Django in a child process with production settings (DEBUG off, real secrets required)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://portal:secret@db:5432/portal",
    "REDIS_URL": "redis://redis:6379/0",
    "ADMIN_URL": "staff-admin-7f3c/",
    # Mounted here so that its headers are checked (tests/test_security_headers.py); production
    # leaves it off unless asked (tests/test_deploy_settings.py).
    "ADMIN_ENABLED": "1",
    "EMAIL_HOST": "smtp.example.org",
    "RECEIPT_LOOKUP_KEY": secrets.token_urlsafe(50),
    "MFA_SECRETS_KEY": secrets.token_urlsafe(50),
}


def run_django(code_or_args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run Python in the project with only `env` (plus PATH and HOME): nothing the test process
    set for itself (DEBUG, test-only switches, DJANGO_ALLOW_ASYNC_UNSAFE) leaks in."""
    clean = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    clean.update(env)
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=PROJECT_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SETTINGS_AS_JSON = """
import json
from django.conf import settings
names = ["DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE",
         "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECRET_KEY", "CELERY_TASK_ALWAYS_EAGER"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def load_production_settings() -> dict[str, object]:
    result = run_django(
        ["-c", "import django; django.setup()\n" + SETTINGS_AS_JSON],
        {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "portal.settings"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
