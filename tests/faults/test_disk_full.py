"""The disk that holds attachments is full.

MEDIA_ROOT is a real 1 MiB filesystem (tmpfs, mounted by the test where it may mount: as root
with CAP_SYS_ADMIN, as in CI's container), so the kernel itself answers ENOSPC when an encrypted
attachment no longer fits. Where mounting is not allowed, gunicorn runs with
tests/faults/full_disk_gunicorn.py instead, which makes intake.uploads.write_sealed_chunk (the
one function through which attachment bytes reach the disk) raise OSError(ENOSPC) once MEDIA_ROOT
would hold more than 1 MiB.

A survivor sends an account with a 2 MB file through gunicorn: told the account was NOT saved
(not a 500, never "received"), with the text still on the page and a word that the files must be
chosen again; no case and no partial file are left (a partial file would keep the disk full).
The same survivor then sends with a small file, which fits: received. Adding a file that does
not fit to that account later is refused the same way, and nothing is added.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from intake.models import Addition, Attachment, Case
from tests.faults.conftest import (
    CHOOSE_FILES_AGAIN,
    RECEIVED,
    Visitor,
    assert_received,
    assert_told_not_saved,
    hidden_value,
    narrative_of,
    open_with_receipt,
    review,
    send_reviewed,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DISK_BYTES = 1024 * 1024
TOO_BIG = b"%PDF-1.4\n" + os.urandom(2 * DISK_BYTES)  # random: no filesystem could shrink it
SMALL = b"%PDF-1.4\n" + os.urandom(10_000)


@dataclass
class SmallDisk:
    path: Path
    mounted: bool  # a real tmpfs; otherwise full_disk_gunicorn.py simulates it

    def files(self) -> list[Path]:
        return [f for f in self.path.rglob("*") if f.is_file()]


@pytest.fixture
def small_disk() -> Iterator[SmallDisk]:
    path = Path(tempfile.mkdtemp(prefix="portal-faults-media-"))
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0700", "tmpfs", str(path)],
        capture_output=True,
    )
    try:
        yield SmallDisk(path, mounted=mount.returncode == 0)
    finally:
        if mount.returncode == 0:
            subprocess.run(["umount", str(path)], check=True)
        shutil.rmtree(path, ignore_errors=True)


def test_a_full_media_disk_saves_nothing_and_says_so(
    small_disk: SmallDisk, web_server_factory, service_keys
) -> None:
    config = "gunicorn.conf.py" if small_disk.mounted else "tests/faults/full_disk_gunicorn.py"
    server = web_server_factory(config, MEDIA_ROOT=str(small_disk.path))
    survivor = Visitor(server.url)

    data, page = review(survivor, "my words must not be lost")
    refused = send_reviewed(survivor, data, page, files=[("evidence.pdf", TOO_BIG)])
    assert_told_not_saved(refused, files=True)
    assert Case.objects.count() == 0
    assert small_disk.files() == []  # the part written before the disk filled up is gone

    # The form the survivor was given back sends, with a file that fits.
    received = send_reviewed(survivor, data, refused.page, files=[("small.pdf", SMALL)])
    receipt = assert_received(received)
    case = Case.objects.get()
    assert narrative_of(case, service_keys.coordinators) == "my words must not be lost"
    assert Attachment.objects.filter(case=case).count() == 1
    assert len(small_disk.files()) == 1

    # Adding a file that does not fit to the account: nothing is added, and the survivor is told.
    case_page = open_with_receipt(survivor, receipt)
    assert case_page.status == 200, case_page.text[:2000]
    answer = survivor.post(
        "/en/intake/my-account/add/",
        {
            "text": "one more thing",
            "csrfmiddlewaretoken": hidden_value(case_page, "csrfmiddlewaretoken"),
        },
        files=[("more.pdf", TOO_BIG)],
    )
    assert answer.status == 503, answer.text[:3000]
    assert "Something went wrong on our side" in answer.text
    assert "No file was kept. Please choose your files again." in answer.text
    assert "Your information was added." not in answer.text
    assert "one more thing</textarea>" in answer.text  # the text is still in the form
    assert RECEIVED.lower() not in answer.text.lower()
    assert CHOOSE_FILES_AGAIN not in answer.text
    assert Addition.objects.count() == 0
    assert Attachment.objects.count() == 1
    assert len(small_disk.files()) == 1
    print(f"\nmedia on a real tmpfs: {small_disk.mounted}")
