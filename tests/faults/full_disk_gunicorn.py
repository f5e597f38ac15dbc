"""gunicorn configuration for test_disk_full.py where no tiny filesystem can be mounted.

The production configuration (gunicorn.conf.py), plus one change in each worker: the function
through which every attachment byte reaches the disk (intake.uploads.write_sealed_chunk) raises
OSError(ENOSPC), as the kernel would, once MEDIA_ROOT would hold more than FULL_DISK_BYTES.
Everything above it (the upload handler, the view, the database) is the real code.
"""

import errno
import os
import runpy
from pathlib import Path
from typing import Any

globals().update(
    {
        name: value
        for name, value in runpy.run_path(
            str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")
        ).items()
        if not name.startswith("__")
    }
)

CAPACITY = int(os.environ.get("FULL_DISK_BYTES", str(1024 * 1024)))


def post_worker_init(worker: Any) -> None:
    from django.conf import settings

    from intake import uploads

    write = uploads.write_sealed_chunk

    def write_sealed_chunk(handle: Any, sealed: bytes) -> None:
        handle.flush()
        media = Path(settings.MEDIA_ROOT)
        used = sum(f.stat().st_size for f in media.rglob("*") if f.is_file())
        if used + 4 + len(sealed) > CAPACITY:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write(handle, sealed)

    uploads.write_sealed_chunk = write_sealed_chunk
