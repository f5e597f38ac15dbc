import os

from django.core.wsgi import get_wsgi_application

from portal.startup import web_worker_starting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# Before this worker takes requests, each app prepares what would make its first readers wait
# (docs/performance.md): the receivers are connected in the apps' AppConfig.ready().
web_worker_starting.send(sender=None)
