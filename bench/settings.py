"""Settings for the processes `make bench` starts (gunicorn, Celery, the bench itself).

These are production's settings (portal/settings.py, read from the same environment), with one
difference: static files are collected into the bench's own temporary folder instead of the
project's `staticfiles/`, together with a copy of an explainer page that gunicorn then serves as a
static file (the baseline the explainer page is compared with).
"""

import os
from pathlib import Path

from portal.settings import *  # noqa: F403
from portal.settings import STATICFILES_DIRS

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
STATICFILES_DIRS = [*STATICFILES_DIRS, Path(os.environ["BENCH_STATIC_EXTRA"])]
