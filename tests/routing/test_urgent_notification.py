"""An urgent account: the worker that routes it tells the coordinators at once, in the same words
as every other notification. A routine account routed to someone does not bother them.

The worker writes its e-mail as files (EMAIL_FILE_PATH), so the test reads exactly what a real
worker process sent.
"""

import email
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from django.test import Client

from intake.models import Case, RoutingJob
from intake.notifications import NOTIFICATION_BODY, NOTIFICATION_SUBJECT
from tests.caseworker.conftest import make_persona
from tests.conftest import CeleryWorker, start_celery_worker, wait_for
from tests.intake.conftest import account_data, send

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SEPARATOR = "\n" + "-" * 79 + "\n"  # between messages in the file backend's files


@pytest.fixture
def mail_folder(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def worker(
    worker_keys, worker_routing_key_file: Path, mail_folder: Path, tmp_path: Path
) -> Iterator[CeleryWorker]:
    """A worker of this test's own, on a queue of its own, writing its e-mail to mail_folder."""
    from portal.celery import app

    configured = app.conf.task_default_queue
    app.conf.task_default_queue = f"urgent-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(
        app.conf.task_default_queue,
        tmp_path,
        concurrency=1,
        routing_key_file=worker_routing_key_file,
        environment={"EMAIL_FILE_PATH": str(mail_folder)},
    )
    yield worker
    worker.stop()
    app.conf.task_default_queue = configured


def sent(mail_folder: Path) -> list[Message]:
    if not mail_folder.exists():
        return []
    return [
        email.message_from_string(text)
        for path in sorted(mail_folder.iterdir())
        for text in path.read_text().split(SEPARATOR)
        if text.strip()
    ]


def to(messages: list[Message], address: str) -> list[Message]:
    return [message for message in messages if message["To"] == address]


def routed(narrative: str, **answers: object) -> Case:
    send(Client(), account_data(narrative=narrative, preferred_language="ar", **answers))
    case = Case.objects.get(urgent=bool(answers.get("in_danger")))
    assert wait_for(lambda: RoutingJob.objects.get(case=case).state == "done")
    return case


def test_urgent_accounts_notify_the_coordinators_at_once(worker, mail_folder, coordinator) -> None:
    amina = make_persona("amina@example.org", languages=["ar"])
    canary = f"CANARY{uuid.uuid4().hex}"

    urgent = routed(f"{canary} urgent", in_danger="on")
    assert urgent.urgent
    assert RoutingJob.objects.get(case=urgent).assigned_to == amina.user
    # Sent with the routing, not by a later sweep.
    assert wait_for(lambda: len(to(sent(mail_folder), coordinator.user.email)) == 1, 5), (
        worker.log()
    )
    # The same task tells the caseworker, in a message of her own written just after.
    assert wait_for(lambda: len(to(sent(mail_folder), amina.user.email)) == 1, 5), worker.log()

    routed(f"{canary} routine and much longer " * 20)
    assert wait_for(lambda: len(to(sent(mail_folder), amina.user.email)) == 2, 5), worker.log()
    assert len(to(sent(mail_folder), coordinator.user.email)) == 1  # not told of routine ones

    messages = sent(mail_folder)
    assert len(messages) == 3
    # Every notification is the same, whatever the case: nothing to learn from its size.
    for message in messages:
        assert message["Subject"] == NOTIFICATION_SUBJECT
        assert str(message.get_payload()).strip() == NOTIFICATION_BODY
    assert len({len(str(message.get_payload())) for message in messages}) == 1
    assert not any(canary in path.read_text() for path in mail_folder.iterdir())
