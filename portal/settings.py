"""Settings for the survivor portal, all read from the environment.

One file for every environment (no base/dev/prod split). `make run` sets DEBUG=1 and a development
SECRET_KEY_FILE; everywhere else a missing secret is an error rather than a silent default, because
a portal that starts with a guessable key would put survivors at risk.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


# The example values in deploy/ start with this; production refuses to start with one of them
# (a portal started with a published key would put survivors at risk).
PLACEHOLDER = "change-me"


def refuse_placeholder(name: str, value: str) -> None:
    """Outside development, refuse a setting that still holds an example value. Says which
    setting, never the value."""
    if PLACEHOLDER in value.lower() and not envbool("DEBUG", False):
        raise ImproperlyConfigured(
            f"{name} still holds the example value ({PLACEHOLDER}...): set a real one"
        )


def envsecret(name: str, *, required: bool) -> str:
    """Read a secret from NAME_FILE (Docker secrets) or NAME; fail loudly if required and absent
    or still an example value."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from None
    else:
        value = os.environ.get(name, "").strip()
    if required and not value:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set")
    refuse_placeholder(name, value)
    return value


def database_from_url(url: str) -> dict[str, object]:
    """Turn postgres://user:pass@host:port/name?opt=v or sqlite:///path into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / path if path else ""}
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            # Reuse connections across requests, but check them first so a restarted PostgreSQL
            # gives one failed health check instead of a burst of errors.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


def url_with_password(url: str, password: str) -> str:
    """Put a password (from NAME_PASSWORD_FILE, a Docker secret) into a service URL, so that the
    URL itself can sit in docker-compose.yml: postgres://portal_app@postgres:5432/portal."""
    if not url or not password:
        return url
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


# --- Keys a process never uses (docker-compose.yml) --------------------------------------------

# The worker, beat and migrate sign nothing, look up no receipt and open no TOTP secret, so compose
# does not give them SECRET_KEY, RECEIPT_LOOKUP_KEY or MFA_SECRETS_KEY (least privilege); it names
# them in UNUSED_SECRETS instead. Each then gets a random value known to this process alone: a
# signature made with it by mistake is never trusted by web, so such a bug fails loudly.
UNUSABLE_WHEN_UNUSED = {"SECRET_KEY", "RECEIPT_LOOKUP_KEY", "MFA_SECRETS_KEY"}
for unused in filter(None, os.environ.get("UNUSED_SECRETS", "").replace(" ", "").split(",")):
    if unused not in UNUSABLE_WHEN_UNUSED:
        raise ImproperlyConfigured(f"UNUSED_SECRETS may name {sorted(UNUSABLE_WHEN_UNUSED)} only")
    if os.environ.get(f"{unused}_FILE"):
        raise ImproperlyConfigured(f"{unused}_FILE is given, yet UNUSED_SECRETS names {unused}")
    # setdefault: a child process that starts Python again keeps its parent's value.
    os.environ.setdefault(unused, secrets.token_urlsafe(50))


# --- Core -------------------------------------------------------------------------------------

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY", required=True)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_NAME = os.environ.get("SITE_NAME", "Know Your Rights")
# Where the quick exit sends a survivor: a busy, neutral site that raises no questions if seen.
QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "https://www.bbc.com/weather")
# Emergency and support contacts by country for "Get help now", a file the operator keeps true
# (docs/help-contacts.md). `manage.py check` warns when its review date is older than this.
HELP_CONTACTS_FILE = Path(
    os.environ.get("HELP_CONTACTS_FILE", BASE_DIR / "portal" / "help_contacts.toml")
)
HELP_CONTACTS_REVIEW_MONTHS = envint("HELP_CONTACTS_REVIEW_MONTHS", 12)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "rights",
    "intake",
]

MIDDLEWARE = [
    # Before everything: what is logged while a survivor's page is served keeps only the hour
    # (portal/logging.py, docs/security.md section 3).
    "portal.logging.survivor_log_middleware",
    # Outermost after it, so even static files and error responses carry the baseline headers.
    "portal.middleware.SecurityHeadersMiddleware",
    # Next, for the same reason: inside LocaleMiddleware or CommonMiddleware it missed the language
    # redirects and the 400 for a bad Host, and inside WhiteNoise the static files (an SVG opened
    # on its own is a document that could run script).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Django's SecurityMiddleware, except on the onion host: no HTTPS redirect, HSTS or Secure
    # cookies there, and an Onion-Location header on the clearnet site (portal/onion.py).
    "portal.onion.OnionAwareSecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Rights pages that are the same for every reader, served from memory like static files,
    # before any middleware that reads the session or a cookie (rights/pages.py).
    "rights.pages.RenderedPagesMiddleware",
    # Django's SessionMiddleware, restarting the idle timeout without a write on every request.
    "portal.sessions.IdleTimeoutSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "intake.staff.middleware.RequireStaffMfaMiddleware",
    "intake.staff.middleware.StaffKeyCookieMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Data stores ------------------------------------------------------------------------------

# DATABASE_PASSWORD_FILE and REDIS_PASSWORD_FILE (Docker secrets) add a password to these URLs.
refuse_placeholder("DATABASE_URL", os.environ.get("DATABASE_URL", ""))
DATABASE_URL = url_with_password(
    os.environ.get("DATABASE_URL", "sqlite:///var/portal.sqlite3"),
    envsecret("DATABASE_PASSWORD", required=False),
)
DATABASES = {"default": database_from_url(DATABASE_URL)}

# Without REDIS_URL (make run, or tests without services) the cache is per-process and Celery
# runs tasks in-process. With it, the cache and the broker are the same Redis.
refuse_placeholder("REDIS_URL", os.environ.get("REDIS_URL", ""))
REDIS_URL = url_with_password(
    os.environ.get("REDIS_URL", ""), envsecret("REDIS_PASSWORD", required=False)
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database: nothing a survivor types is ever put in a session, and staff
# sessions must survive a Redis restart. Django's database sessions, remembering their expiry
# (portal/sessions.py).
SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 30 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The 30 minutes restart with every request, but the session is written again only when its
# stored expiry has fallen more than SESSION_REFRESH_SECONDS behind (portal/sessions.py,
# IdleTimeoutSessionMiddleware): not an UPDATE and a COMMIT on every staff page.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60

# --- Celery -----------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connections before and after every task unless this
# is set; it then closes them every this many tasks. Opening a PostgreSQL connection costs about
# 10 ms (a server process is forked and authenticates), more than routing a case, so connections
# are reused, with Django's age limit and health check between tasks (portal/celery.py).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep Django's logging configuration (which strips client addresses) in the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# Workers read the urgent queue first (`-Q portal-urgent,portal`, checked in that order).
# CELERY_QUEUE renames both, to run several deployments (or test runs) on one Redis.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "portal")
CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority", "visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "portal.tasks.record_heartbeat", "schedule": 60.0},
    "sweep-routing": {"task": "intake.tasks.sweep_routing", "schedule": 60.0},
    "retry-waiting": {"task": "intake.tasks.retry_waiting", "schedule": 300.0},
    "routing-deadlines": {"task": "intake.tasks.enforce_deadlines", "schedule": 900.0},
    "retention": {"task": "intake.tasks.purge_expired_cases", "schedule": 24 * 3600.0},
    "expire-vetting": {"task": "intake.tasks.expire_vetting", "schedule": 24 * 3600.0},
    "sweep-orphan-files": {"task": "intake.tasks.sweep_orphan_files", "schedule": 3600.0},
    "pattern-changes": {"task": "intake.tasks.apply_pattern_changes", "schedule": 900.0},
}

# --- Authentication (django-allauth; staff only, invite-only) ---------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "intake.staff.adapters.InviteOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
MFA_ADAPTER = "intake.staff.adapters.PortalMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# Recovery codes are shown once, when they are made (issue 5): a stolen session cannot read them
# later, and they cannot be downloaded. A staff member who lost them makes new ones.
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Encrypts staff TOTP secrets at rest (intake.staff.adapters.PortalMFAAdapter). Development
# derives one.
MFA_SECRETS_KEY = envsecret("MFA_SECRETS_KEY", required=not DEBUG) or (
    "development-mfa-key:" + SECRET_KEY
)
ACCOUNT_FORMS = {"login": "intake.staff.forms.StaffLoginForm"}
MFA_PASSKEY_LOGIN_ENABLED = False
LOGIN_REDIRECT_URL = "/"
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# Staff passwords guard keys (intake/passwords.py): Argon2id for the login hash too, and a
# strength estimate with a stricter floor for coordinators on top of Django's own checks.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Only to read hashes made before Argon2 (a development database); upgraded at next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "intake.passwords.StrengthValidator",
        "OPTIONS": {"min_guesses_log10": 12, "coordinator_min_guesses_log10": 14},
    },
]

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("fa", "فارسی"),
    ("uk", "Українська"),
    ("ru", "Русский"),
]
# Languages written right to left; templates read `LANGUAGE_BIDI`, and this list is what Django
# uses to set it.
LANGUAGES_BIDI = ["ar", "fa", "he", "ur", "ps"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
# `collectstatic` writes here (the image build); a test collects into a folder of its own.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or envbool("STATIC_FROM_FINDERS", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and `make run` serve straight from the source folders; production serves the hashed,
# compressed copies that `collectstatic` writes when the image is built.
WHITENOISE_USE_FINDERS = DEBUG or envbool("STATIC_FROM_FINDERS", False)
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# --- Security headers -------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere and nothing from another origin: a page that could load a
# third-party resource could tell that third party who is reading it.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # data: images make no request anywhere; allauth draws the TOTP QR code as one.
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
# Production is HTTPS only. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER=1.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else envint("SECURE_HSTS_SECONDS", 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
# Django's W003 looks for its own CSRF middleware by name; ours is a subclass (adapted to
# no-referrer), and portal.checks.check_csrf_middleware makes sure it is installed instead.
# W001 likewise for SecurityMiddleware (portal/onion.py; portal.checks.check_security_middleware).
SILENCED_SYSTEM_CHECKS = ["security.W003", "security.W001"]
# Uploads are streamed through our own handlers; keep Django's in-memory ceiling for other forms.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- E-mail -----------------------------------------------------------------------------------

# Django 6.1 configures e-mail through MAILERS; the lower-case name keeps the deprecated EMAIL_HOST
# setting undefined.
smtp_host = os.environ.get("EMAIL_HOST", "")
if smtp_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": smtp_host,
                "port": envint("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": envsecret("EMAIL_HOST_PASSWORD", required=False),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
elif os.environ.get("EMAIL_FILE_PATH"):
    # Each message as a file in this folder: for staging, and for tests that read what a worker
    # process sent.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ["EMAIL_FILE_PATH"]},
        }
    }
else:
    # Notifications carry no case content, so printing them in development is harmless.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Django's error e-mails include request headers (the client address among them): never send them.
ADMINS: list[tuple[str, str]] = []

# --- Logging ----------------------------------------------------------------------------------

# Every handler passes through RedactClientDetailsFilter, which removes IP addresses and user-agent
# strings. Django's own loggers never print them, but a third-party message might; see
# tests/test_logging.py for the proof. Before it, SurvivorTimeFilter keeps the second at which a
# survivor acted out of every line: while a survivor's page is served or a task a survivor set
# off runs, it drops records below WARNING and rounds the time of the rest to the hour.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
PER_TASK_LOG_LEVEL = LOG_LEVEL if LOG_LEVEL in ("ERROR", "CRITICAL") else "WARNING"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "survivor_time": {"()": "portal.logging.SurvivorTimeFilter"},
        "redact": {"()": "portal.logging.RedactClientDetailsFilter"},
    },
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["survivor_time", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # runserver's request lines; they hold no address, but go through the filter all the same.
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Celery's line per task ("Task intake.tasks.route_case[...] received", "... succeeded
        # in 0.06s", "... retry") would stamp the second a survivor's account was routed; the
        # "received" line is written by the worker's main process, outside the task. Failures
        # (WARNING and above) are still written. Tests read task outcomes from the worker's
        # signals instead (tests/celery_app.py).
        "celery.app.trace": {"level": PER_TASK_LOG_LEVEL},
        "celery.worker.strategy": {"level": PER_TASK_LOG_LEVEL},
    },
}

# --- Intake ---------------------------------------------------------------------------------

# The server secret behind the receipt lookup (an HMAC of the receipt). It is separate from
# SECRET_KEY so that rotating SECRET_KEY never strands a survivor's receipt. Development derives
# one.
RECEIPT_LOOKUP_KEY = envsecret("RECEIPT_LOOKUP_KEY", required=not DEBUG) or (
    "development-receipt-key:" + SECRET_KEY
)
# The routing private key lives only in the worker (docs/security.md, section 2): web processes
# leave this unset. `manage.py init_keys` writes the file.
ROUTING_KEY_FILE = os.environ.get("ROUTING_KEY_FILE", "")
# A routed account not acknowledged within this many hours goes to someone else
# (intake/models/routing.py, acknowledgement_time).
ROUTING_DEADLINE_HOURS = envint("ROUTING_DEADLINE_HOURS", 48)
ROUTING_URGENT_DEADLINE_HOURS = envint("ROUTING_URGENT_DEADLINE_HOURS", 4)
# A routing job claimed by a worker that died is sent again after this many seconds; keep it
# longer than CELERY_TASK_TIME_LIMIT, so a task still running is never sent twice.
ROUTING_CLAIM_EXPIRES_SECONDS = envint("ROUTING_CLAIM_EXPIRES_SECONDS", 300)
# A routing task places its own account together with others not yet routed, up to this many in
# one transaction (intake.routing), so a burst costs a few transactions, not one per account.
# `make bench` on 2 cores, a burst of 500: p95 0.93 s with 25 or 50, 0.76 s with 100.
ROUTING_BATCH_SIZE = envint("ROUTING_BATCH_SIZE", 100)
# Closed cases are crypto-shredded this many days after closing; withdrawn ones at once.
RETENTION_DAYS_AFTER_CLOSE = envint("RETENTION_DAYS_AFTER_CLOSE", 365)
# How long the operator keeps backups (docs/operations.md, "Backups"): a withdrawn account is still
# in the encrypted backups taken before, for this long, and the survivor is told so. Set it to the
# retention you really keep.
BACKUP_RETENTION_DAYS = envint("BACKUP_RETENTION_DAYS", 30)
INTAKE_MAX_FILES = 5
INTAKE_MAX_FILE_BYTES = 20 * 1024 * 1024
INTAKE_MAX_TEXT_CHARS = 50_000
# A survivor who came back with a receipt stays signed in this long without activity.
INTAKE_SESSION_SECONDS = 15 * 60
# Rate limits (intake/ratelimit.py; docs/security.md says how they behave behind Tor and carrier
# NAT): (requests, seconds) per client, counted under a bucket of about 65,536 addresses, and a
# ceiling for all clients together, which counts only requests that passed the per-client limit,
# the CSRF check and validation. Past the ceiling, requests wait INTAKE_CEILING_DELAY_SECONDS
# (never refused) and the operator is warned once per window. Windows must divide a day.
INTAKE_SUBMISSION_LIMIT = (envint("INTAKE_SUBMISSIONS_PER_HOUR", 5), 3600)
INTAKE_SUBMISSION_CEILING = (envint("INTAKE_SUBMISSIONS_CEILING_PER_HOUR", 500), 3600)
INTAKE_RECEIPT_LIMIT = (envint("INTAKE_RECEIPT_ATTEMPTS_PER_15_MINUTES", 10), 900)
INTAKE_RECEIPT_CEILING = (envint("INTAKE_RECEIPT_CEILING_PER_15_MINUTES", 2000), 900)
INTAKE_CEILING_DELAY_SECONDS = 2.0
# Encrypted files that no attachment refers to (a request cut off, an account we could not
# confirm) are removed this many hours after the hour they were written in: long enough for any
# request still streaming or saving (gunicorn's timeout is 60 s).
ORPHAN_FILE_GRACE_HOURS = envint("ORPHAN_FILE_GRACE_HOURS", 6)
# Files never reach memory or disk through Django's default handlers: the intake view installs its
# own, which encrypts each chunk as it arrives (intake/uploads.py). Any other upload is dropped.
FILE_UPLOAD_HANDLERS: list[str] = []

# --- Accountability, only with consent (issue 17, docs/accountability.md) ---------------------

# Documentation packages are signed with the organisation's Ed25519 key, so that a recipient can
# check who made them and that no byte changed (intake/packages/). Web signs them (a caseworker
# prepares a package there), so web gets this file; `manage.py init_package_key` writes both
# halves. Publish the public half to the offices you send to, by a channel of its own.
PACKAGE_SIGNING_KEY_FILE = os.environ.get("PACKAGE_SIGNING_KEY_FILE", "")
PACKAGE_SIGNING_PUBLIC_KEY_FILE = os.environ.get("PACKAGE_SIGNING_PUBLIC_KEY_FILE", "")
# The organisation that signs the packages, as recipients know it.
ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "") or SITE_NAME
# Pattern counts under this are shown as "fewer than N" (with complementary suppression), on the
# coordinators' page and in its CSV (intake/patterns.py).
PATTERN_SMALL_CELL = envint("PATTERN_SMALL_CELL", 5)
# Changes to the counts wait, sealed to the routing key, until at least this many accounts
# (routed or withdrawn) have gathered; then one transaction applies them all, so no change in
# the counts can be tied to one account (intake/actions/pattern_changes.py).
PATTERN_FLUSH_MIN = envint("PATTERN_FLUSH_MIN", 10)

# --- Audit checkpoints (docs/security.md, section 6) -----------------------------------------

# Every hour the worker signs the audit log's head (entry count, newest id and hash) and appends
# it to AUDIT_CHECKPOINT_FILE, which the operator ships off the server; `manage.py verify_audit
# --checkpoints` then reports entries that the database owner removed. The private key signs:
# give it to the worker alone (like ROUTING_KEY_FILE), never to web, and never put it in the
# database. `manage.py init_audit_key` writes both halves.
AUDIT_CHECKPOINT_KEY_FILE = os.environ.get("AUDIT_CHECKPOINT_KEY_FILE", "")
# The public half, for verify_audit (not secret; keep a copy off the server too).
AUDIT_CHECKPOINT_PUBLIC_KEY_FILE = os.environ.get("AUDIT_CHECKPOINT_PUBLIC_KEY_FILE", "")
AUDIT_CHECKPOINT_FILE = os.environ.get("AUDIT_CHECKPOINT_FILE", "")
# Hourly, not more often: the entries carry their hour only, and a checkpoint every few minutes
# would tell when they were added to within those minutes.
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "intake.tasks.checkpoint_audit",
    "schedule": 3600.0,
}

# --- URLs -------------------------------------------------------------------------------------

# The Django admin is not mounted in production unless ADMIN_ENABLED=1 (everything staff need has
# its own page; the admin is for an operator's rare repair), and then at an unguessable path
# (ADMIN_URL=something-long/).
ADMIN_ENABLED = envbool("ADMIN_ENABLED", DEBUG)
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/")
refuse_placeholder("ADMIN_URL", ADMIN_URL)
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# --- The onion address (docker-compose.yml, profile onion; docs/operations.md) ---------------

# The hostname Tor made for the portal (docker compose exec tor cat /var/lib/tor/portal/hostname).
# When set, the portal answers it over plain HTTP and tells Tor Browser about it on the clearnet
# site (portal/onion.py).
ONION_HOST = os.environ.get("ONION_HOST", "").strip().lower()
if ONION_HOST:
    if not ONION_HOST.endswith(".onion"):
        raise ImproperlyConfigured(f"ONION_HOST must end in .onion, got {ONION_HOST!r}")
    ALLOWED_HOSTS.append(ONION_HOST)
