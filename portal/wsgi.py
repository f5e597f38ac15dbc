import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# Parse and render the rights library now, before this worker takes requests: on first use it
# took each gunicorn worker about a second of CPU, during which its first readers waited
# (docs/performance.md). A malformed content file also stops the deploy here, not a reader.
from rights.content import get_library  # noqa: E402  (needs the settings set up above)

get_library()
