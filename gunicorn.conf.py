"""gunicorn settings for the web container (docker-compose.yml runs `gunicorn -c gunicorn.conf.py`).

The access log keeps the method, path, status, size and duration, but never the client address
(%(h)s), the user agent (%(a)s) or the referrer (%(f)s): docs/security.md, section 3. Survivor paths
(the intake, and the static files its pages load) get no access line at all, so that no line
tells the second at which a survivor sent, returned or withdrew, nor the size of her page
(portal.logging.SurvivorAccessFilter). Every line, and gunicorn's error log, also passes through
the same redaction filter as Django's loggers.
"""

import os

wsgi_app = "portal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 60
graceful_timeout = 30
# Uploads are read by Django in chunks; keep gunicorn's own request line and header limits.
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# For rights pages, staff pages and the health check only (survivor paths have no line).
access_log_format = '"%(r)s" %(s)s %(B)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "portal.logging.RedactClientDetailsFilter"},
        "survivor_access": {"()": "portal.logging.SurvivorAccessFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["survivor_access", "redact"],
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
