"""gunicorn settings for the web container (docker-compose.yml runs `gunicorn -c gunicorn.conf.py`).

The access log keeps the method, path, status, size and duration, but never the client address
(%(h)s), the user agent (%(a)s) or the referrer (%(f)s): DESIGN.md invariant 3. Its lines, and
gunicorn's error log, also pass through the same redaction filter as Django's loggers.
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
# Rounded to the hour would lose too much for operators; a survivor's request is not tied to
# anything identifying here, since neither address nor user agent is logged.
access_log_format = '"%(r)s" %(s)s %(B)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "portal.logging.RedactClientDetailsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
