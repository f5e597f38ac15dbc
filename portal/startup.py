"""What a web worker does once Django is loaded, before it takes requests."""

from django.dispatch import Signal

# Sent by portal/wsgi.py (gunicorn's workers, and runserver). An app connects to it whatever its
# first readers should not wait for: rights/apps.py parses and renders the explainer library.
web_worker_starting = Signal()
