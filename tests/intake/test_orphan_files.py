"""Nothing is left behind by a refused request, and a sweeper removes encrypted files that no
attachment refers to (issue 12, "a flood of requests"; intake/uploads.py, intake/survivor/)."""

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from intake import tasks
from intake.models import Attachment, Case
from tests.conftest import CeleryWorker, start_celery_worker, wait_for
from tests.intake.conftest import PDF, PNG, account_data, send, upload
from tests.intake.test_flood import csrf_client

HOUR_NS = 3600 * 10**9


def files_in(media_root: Path) -> list[Path]:
    folder = media_root / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def files() -> list[object]:
    return [upload("photo.png", PNG), upload("letter.pdf", PDF + b"1" * 300_000)]


# --- Refused requests ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_csrf_failure_after_the_files_were_streamed_leaves_no_file(
    service_keys, media_root
) -> None:
    # The CSRF check of the send page runs after the encrypting handler has read the body (it
    # needs the token from it): the files are on disk when it refuses.
    browser, _ = csrf_client("192.0.2.50")
    data = {**account_data(narrative="refused"), "submission_token": "t"}
    for token in ({}, {"csrfmiddlewaretoken": "x" * 32}):
        response = browser.post("/en/intake/send/", {**data, **token, "attachments": files()})
        assert response.status_code == 403
        assert "Nothing was sent" in response.content.decode()
    assert files_in(media_root) == []
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_an_invalid_form_after_the_files_were_streamed_leaves_no_file(
    client: Client, service_keys, media_root
) -> None:
    response = client.post("/en/intake/send/", {"submission_token": "t", "attachments": files()})
    assert response.status_code == 302
    assert files_in(media_root) == []


@pytest.mark.django_db
def test_a_client_over_its_limit_leaves_no_file(
    client: Client, service_keys, media_root, settings
) -> None:
    settings.INTAKE_SUBMISSION_LIMIT = (0, 3600)
    data = {**account_data(), "submission_token": "t", "attachments": files()}
    assert client.post("/en/intake/send/", data).status_code == 429
    assert files_in(media_root) == []


@pytest.mark.django_db
def test_adding_files_refused_by_the_csrf_check_leaves_no_file(service_keys, media_root) -> None:
    _, receipt = send(Client(REMOTE_ADDR="192.0.2.51"), account_data())
    browser, token = csrf_client("192.0.2.52")
    opened = browser.post("/en/intake/return/", {"receipt": receipt, "csrfmiddlewaretoken": token})
    assert opened.status_code == 302
    response = browser.post("/en/intake/my-account/add/", {"text": "x", "attachments": files()})
    assert response.status_code == 403
    assert files_in(media_root) == []


@pytest.mark.django_db
def test_a_sent_file_keeps_only_the_hour_it_arrived_in(
    client: Client, service_keys, media_root
) -> None:
    _, receipt = send(client, account_data(), files=[upload("photo.png", PNG)])
    assert receipt
    (stored,) = files_in(media_root)
    status = stored.stat()
    assert status.st_mtime_ns % HOUR_NS == 0
    assert status.st_atime_ns % HOUR_NS == 0
    assert (media_root / "attachments").stat().st_mtime_ns % HOUR_NS == 0
    hour = int(time.time()) // 3600 * 3600
    assert status.st_mtime_ns // 10**9 in (hour, hour - 3600)  # (the hour may just have turned)


# --- The sweeper -----------------------------------------------------------------------------


def age(path: Path, hours: float) -> None:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def an_orphan_from_a_real_account(client: Client) -> Path:
    """An encrypted file whose account is gone without the file: what is left when nobody could
    tell whether an account was saved and it was not (docs/faults.md), or a process died."""
    send(client, account_data(narrative="lost"), files=[upload("lost.pdf", PDF)])
    case = Case.objects.order_by("-pk").first()
    assert case is not None
    (attachment,) = case.attachments.all()
    path = Path(settings.MEDIA_ROOT) / "attachments" / f"{attachment.public_id}.sealed"
    Case.objects.filter(pk=case.pk).delete()  # the rows only, as if never committed
    assert path.exists()
    return path


@pytest.fixture
def files_of_every_kind(client: Client, service_keys, media_root: Path) -> dict[str, Path]:
    """A referred file, orphans old and new, and a file the sweeper must not touch."""
    send(client, account_data(narrative="kept"), files=[upload("kept.png", PNG)])
    (kept,) = Attachment.objects.all()
    referred = media_root / "attachments" / f"{kept.public_id}.sealed"
    orphan = an_orphan_from_a_real_account(client)
    fresh_orphan = media_root / "attachments" / f"{uuid.uuid4()}.sealed"
    fresh_orphan.write_bytes(os.urandom(100))  # a request still streaming: a precise time
    other = media_root / "attachments" / "README.txt"
    other.write_text("not an attachment")
    for path in (referred, orphan, other):
        age(path, 7)  # past the grace period of 6 hours
    return {"referred": referred, "orphan": orphan, "fresh": fresh_orphan, "other": other}


@pytest.mark.django_db
def test_the_sweeper_removes_old_files_that_no_attachment_refers_to(
    files_of_every_kind: dict[str, Path],
) -> None:
    assert settings.ORPHAN_FILE_GRACE_HOURS == 6
    assert tasks.sweep_orphan_files() == 1
    assert not files_of_every_kind["orphan"].exists()
    for name in ("referred", "fresh", "other"):
        assert files_of_every_kind[name].exists(), name
    # A file cut off mid-write had kept its precise time: now it has the hour only.
    assert files_of_every_kind["fresh"].stat().st_mtime_ns % HOUR_NS == 0
    assert tasks.sweep_orphan_files() == 0


@pytest.fixture
def sweeping_worker(
    worker_keys, worker_routing_key_file: Path, media_root: Path, tmp_path: Path
) -> Iterator[CeleryWorker]:
    """A real worker of this test's own, on a queue of its own, with this test's media folder."""
    from portal.celery import app

    configured = app.conf.task_default_queue
    app.conf.task_default_queue = f"sweep-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(
        app.conf.task_default_queue,
        tmp_path,
        concurrency=1,
        routing_key_file=worker_routing_key_file,
        environment={"MEDIA_ROOT": str(media_root)},
    )
    yield worker
    worker.stop()
    app.conf.task_default_queue = configured


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_sweeper_runs_in_a_real_worker(
    sweeping_worker: CeleryWorker, files_of_every_kind: dict[str, Path]
) -> None:
    tasks.sweep_orphan_files.delay()
    assert wait_for(lambda: not files_of_every_kind["orphan"].exists())
    for name in ("referred", "fresh", "other"):
        assert files_of_every_kind[name].exists(), name
    assert "removed 1 encrypted files" in sweeping_worker.log()


def test_the_sweeper_runs_every_hour() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-orphan-files"]
    assert schedule == {"task": "intake.tasks.sweep_orphan_files", "schedule": 3600.0}
