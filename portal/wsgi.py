import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# Parse and render the rights library now, before this worker takes requests: on first use it
# took each gunicorn worker one to two seconds of CPU, while its first readers waited
# (docs/performance.md). A malformed content file is logged and leaves the rest of the portal
# serving (the intake above all); the rights pages then fail as they would have.
from rights.content import ContentError, get_library  # noqa: E402  (needs the settings above)

try:
    get_library()
except ContentError:
    logging.getLogger(__name__).exception("the rights library could not be read")
